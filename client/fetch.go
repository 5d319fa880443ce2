package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// maxAnswerBytes bounds a token endpoint's answer.
const maxAnswerBytes = 1 << 20

// fetched is a token from one successful token request.
type fetched struct {
	token    *oauth2.Token
	lifetime time.Duration
}

// fetch sends one token request of c's dialect and reads the answer.
func (c *Config) fetch(ctx context.Context, now time.Time) (fetched, error) {
	req, err := c.newRequest(ctx, now)
	if err != nil {
		return fetched{}, err
	}
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		return fetched{}, fmt.Errorf("gatehouse client: token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return fetched{}, fmt.Errorf("gatehouse client: read token answer: %w", err)
	}
	if len(body) > maxAnswerBytes {
		return fetched{}, fmt.Errorf("gatehouse client: token answer larger than %d bytes", maxAnswerBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return fetched{}, c.refusal(resp, body, now)
	}
	return c.parseAnswer(body)
}

// newRequest builds the token request of c's dialect.
func (c *Config) newRequest(ctx context.Context, now time.Time) (*http.Request, error) {
	form := url.Values{}
	header := http.Header{}
	switch c.Dialect {
	case Lengow:
		form.Set("access_token", c.ClientID)
		form.Set("secret", c.ClientSecret)
	case Lemonway:
		form.Set("Grant_type", "client_credentials")
		header.Set("Authorization", "basic "+c.APIKey)
	default:
		form.Set("grant_type", "client_credentials")
		if len(c.Scopes) > 0 {
			form.Set("scope", strings.Join(c.Scopes, " "))
		}
		if c.Audience != "" {
			form.Set("audience", c.Audience)
		}
		switch c.AuthMethod {
		case ClientSecretBasic:
			// RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
			header.Set("Authorization", "Basic "+basicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret)))
		case ClientSecretPost:
			form.Set("client_id", c.ClientID)
			form.Set("client_secret", c.ClientSecret)
		case PrivateKeyJWT:
			a, err := c.assertion(now)
			if err != nil {
				return nil, fmt.Errorf("gatehouse client: %w", err)
			}
			form.Set("client_assertion_type", ClientAssertionType)
			form.Set("client_assertion", a)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("gatehouse client: token request: %w", err)
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// answer is a token answer of any dialect. encoding/json matches names
// case-insensitively, so token_type also reads Lemonway's "token_Type".
type answer struct {
	AccessToken string    `json:"access_token"`
	Token       string    `json:"token"` // Lengow
	TokenType   string    `json:"token_type"`
	ExpiresIn   expiresIn `json:"expires_in"`
}

// expiresIn reads expires_in as a number or a numeric string, as some
// servers send it.
type expiresIn int64

// UnmarshalJSON reads a number, a numeric string or null.
func (e *expiresIn) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*e = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("expires_in %s is not a whole number of seconds", b)
	}
	*e = expiresIn(n)
	return nil
}

// parseAnswer reads a 200 answer.
func (c *Config) parseAnswer(body []byte) (fetched, error) {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return fetched{}, fmt.Errorf("gatehouse client: token answer is not the expected JSON: %w", err)
	}
	tok := a.AccessToken
	if c.Dialect == Lengow {
		tok = a.Token
	}
	if tok == "" {
		return fetched{}, errors.New("gatehouse client: token answer has no token")
	}
	lifetime := time.Duration(a.ExpiresIn) * time.Second
	if a.ExpiresIn <= 0 || a.ExpiresIn > expiresIn(100*365*24*time.Hour/time.Second) {
		lifetime = c.DefaultLifetime
	}
	var extra map[string]any
	if err := json.Unmarshal(body, &extra); err != nil {
		return fetched{}, fmt.Errorf("gatehouse client: token answer: %w", err)
	}
	t := &oauth2.Token{AccessToken: tok, TokenType: a.TokenType}
	if strings.EqualFold(t.TokenType, "bearer") || (t.TokenType == "" && c.Dialect != Lengow) {
		t.TokenType = "Bearer"
	}
	return fetched{token: t.WithExtra(extra), lifetime: lifetime}, nil
}

// refusal turns a non-200 answer into a *RetrieveError.
func (c *Config) refusal(resp *http.Response, body []byte, now time.Time) error {
	e := &RetrieveError{StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	var standard struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(body, &standard) == nil && len(standard.Error) > 0 {
		var code string
		var lengow struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(standard.Error, &code) == nil:
			e.ErrorCode, e.ErrorDescription = code, standard.Description
		case json.Unmarshal(standard.Error, &lengow) == nil:
			// Lengow-style: {"error":{"code":401,"message":"…"}}.
			e.ErrorCode, e.ErrorDescription = statusCode(resp.StatusCode), lengow.Message
		}
	}
	if e.ErrorCode == "" && c.Dialect == Lengow {
		e.ErrorCode = statusCode(resp.StatusCode)
	}
	e.ErrorDescription = clip(e.ErrorDescription)
	return e
}

// clip shortens a server's description for an error message.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// basicAuth is the credentials part of an HTTP Basic header.
func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
