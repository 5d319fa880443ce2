package adminclient

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// The admin API's JSON shapes.
type (
	Environment         = wire.Environment
	TokenSettings       = wire.TokenSettings
	Account             = wire.Account
	AccountPage         = wire.AccountPage
	Client              = wire.Client
	Secret              = wire.Secret
	ClientWithSecret    = wire.ClientWithSecret
	ClientPage          = wire.ClientPage
	CreateClientRequest = wire.CreateClientRequest
)

// API is a client of one Gatehouse server's admin API. It is safe for
// concurrent use.
type API struct {
	base     string
	adminKey string
	http     *http.Client
	// rand makes the Idempotency-Key of each POST.
	rand io.Reader
}

// New returns a client of the admin API of the server at baseURL (for
// example "http://127.0.0.1:8080"), authenticating with adminKey (the admin
// API key or an admin access token). A nil httpClient uses
// http.DefaultClient.
func New(baseURL, adminKey string, httpClient *http.Client) *API {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &API{base: strings.TrimRight(baseURL, "/") + "/admin/v1", adminKey: adminKey, http: httpClient, rand: crand.Reader}
}

// idempotencyKey returns a fresh random Idempotency-Key: the server answers
// a retry of a POST with its key without doing it twice.
func (c *API) idempotencyKey() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(c.rand, b[:]); err != nil {
		return "", fmt.Errorf("make an idempotency key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Error is an error answer of the admin API. Code is the API's error code
// ("invalid", "not_found", ...); it is "" when the answer was not an admin
// API error body (a proxy's error page, say).
type Error struct {
	Status  int
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("admin API: HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("admin API: %s: %s", e.Code, e.Message)
}

// OpenAPI returns the server's OpenAPI document.
func (c *API) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	var doc json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/openapi.json", nil, nil, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// Environments returns every environment.
func (c *API) Environments(ctx context.Context) ([]Environment, error) {
	var out wire.EnvironmentList
	if err := c.do(ctx, http.MethodGet, "/environments", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// Environment returns the environment called name.
func (c *API) Environment(ctx context.Context, name string) (*Environment, error) {
	return call[Environment](ctx, c, http.MethodGet, "/environments/"+url.PathEscape(name), nil, nil)
}

// CreateAccount creates an account.
func (c *API) CreateAccount(ctx context.Context, name string) (*Account, error) {
	return call[Account](ctx, c, http.MethodPost, "/accounts", nil, wire.CreateAccountRequest{Name: name})
}

// Accounts returns a page of at most limit accounts (0: the server's
// default) with ids above after.
func (c *API) Accounts(ctx context.Context, limit int, after int64) (*AccountPage, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if after > 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	return call[AccountPage](ctx, c, http.MethodGet, "/accounts", q, nil)
}

// Account returns the account with the given id.
func (c *API) Account(ctx context.Context, id int64) (*Account, error) {
	return call[Account](ctx, c, http.MethodGet, "/accounts/"+strconv.FormatInt(id, 10), nil, nil)
}

// CreateClient creates a client credential. The answer holds the secret and
// API key, which are never shown again.
func (c *API) CreateClient(ctx context.Context, req CreateClientRequest) (*ClientWithSecret, error) {
	return call[ClientWithSecret](ctx, c, http.MethodPost, "/clients", nil, req)
}

// ClientQuery selects a page of clients; zero fields select everything and
// the server's default page size.
type ClientQuery struct {
	Environment string
	AccountID   int64
	Limit       int
	After       string
}

// Clients returns a page of clients.
func (c *API) Clients(ctx context.Context, q ClientQuery) (*ClientPage, error) {
	v := url.Values{}
	if q.Environment != "" {
		v.Set("environment", q.Environment)
	}
	if q.AccountID > 0 {
		v.Set("account_id", strconv.FormatInt(q.AccountID, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.After != "" {
		v.Set("after", q.After)
	}
	return call[ClientPage](ctx, c, http.MethodGet, "/clients", v, nil)
}

// Client returns the client with the given id.
func (c *API) Client(ctx context.Context, id string) (*Client, error) {
	return call[Client](ctx, c, http.MethodGet, "/clients/"+url.PathEscape(id), nil, nil)
}

// RotateClientSecret gives a client a new secret. The current secret keeps
// working for grace (rounded up to a second); with 0 it stops at once.
func (c *API) RotateClientSecret(ctx context.Context, id string, grace time.Duration) (*ClientWithSecret, error) {
	if grace < 0 {
		return nil, fmt.Errorf("grace period %s is negative", grace)
	}
	body := wire.RotateSecretRequest{GraceSeconds: int64((grace + time.Second - 1) / time.Second)}
	return call[ClientWithSecret](ctx, c, http.MethodPost, "/clients/"+url.PathEscape(id)+"/rotate", nil, body)
}

// RevokeClient revokes a client; revoking a revoked client succeeds.
func (c *API) RevokeClient(ctx context.Context, id string) (*Client, error) {
	return call[Client](ctx, c, http.MethodPost, "/clients/"+url.PathEscape(id)+"/revoke", nil, nil)
}

// call sends one request and returns the decoded answer.
func call[T any](ctx context.Context, c *API, method, path string, query url.Values, in any) (*T, error) {
	var out T
	if err := c.do(ctx, method, path, query, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// maxAnswerBytes bounds an answer read from the server.
const maxAnswerBytes = 16 << 20

// do sends one request and decodes a 2xx answer into out, or returns the
// error answer as an *Error.
func (c *API) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("admin API request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.adminKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.adminKey)
	}
	if method == http.MethodPost {
		key, err := c.idempotencyKey()
		if err != nil {
			return err
		}
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin API %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("admin API %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answerError(resp, b)
	}
	if out == nil {
		return nil // an answer without body (204)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("admin API %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// answerError turns an error answer into an *Error.
func answerError(resp *http.Response, body []byte) error {
	var e wire.Error
	if err := json.Unmarshal(body, &e); err == nil && e.Error.Code != "" {
		return &Error{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &Error{Status: resp.StatusCode, Message: msg}
}
