package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// errorCase is one row of the token endpoint's error table, as a
// request and the answer it must get.
type errorCase struct {
	name        string
	method      string
	path        string // "" for the sandbox token endpoint
	query       string
	contentType string // "" for a form
	body        string
	basic       [2]string
	status      int
	code        string
	wwwAuth     string // "" means the header must be absent
	allow       string
	retryAfter  bool
}

func (tc errorCase) run(t *testing.T, s *server) {
	t.Helper()
	method := tc.method
	if method == "" {
		method = http.MethodPost
	}
	target := s.URL + tc.path
	if tc.path == "" {
		target = s.tokenURL("sandbox")
	}
	if tc.query != "" {
		target += "?" + tc.query
	}
	req, err := http.NewRequest(method, target, strings.NewReader(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	ct := tc.contentType
	if ct == "" {
		ct = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", ct)
	if tc.basic[0] != "" {
		req.SetBasicAuth(tc.basic[0], tc.basic[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("status %d, body is not JSON: %v", resp.StatusCode, err)
	}
	if resp.StatusCode != tc.status || body.Error != tc.code {
		t.Fatalf("got %d %q (%s), want %d %q", resp.StatusCode, body.Error, body.Description, tc.status, tc.code)
	}
	if body.Description == "" {
		t.Error("error_description is empty")
	}
	h := resp.Header
	if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" {
		t.Errorf("headers %v lack JSON / no-store / no-cache", h)
	}
	if got := h.Get("WWW-Authenticate"); got != tc.wwwAuth {
		t.Errorf("WWW-Authenticate = %q, want %q", got, tc.wwwAuth)
	}
	if got := h.Get("Allow"); got != tc.allow {
		t.Errorf("Allow = %q, want %q", got, tc.allow)
	}
	if got := h.Get("Retry-After") != ""; got != tc.retryAfter {
		t.Errorf("Retry-After present = %v, want %v", got, tc.retryAfter)
	}
}

// TestTokenEndpointErrorTable checks every row of the token endpoint's error table
// that this server can produce on demand: status, error code and headers.
func TestTokenEndpointErrorTable(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{Scopes: []string{"ledger:read"}, Audiences: []string{"https://ledger.example.com"}})
	revoked := s.createClient(t, wire.CreateClientRequest{Name: "gone"})
	if _, err := s.Admin.RevokeClient(context.Background(), revoked.ClientID); err != nil {
		t.Fatal(err)
	}
	fenced := s.createClient(t, wire.CreateClientRequest{Name: "fenced", AllowedCIDRs: []string{"10.0.0.0/8"}})
	prod := s.createClient(t, wire.CreateClientRequest{Environment: "production", Name: "prod"})
	post := func(extra string) string {
		return "grant_type=client_credentials&client_id=" + c.ClientID + "&client_secret=" + c.ClientSecret + extra
	}
	basic := [2]string{c.ClientID, c.ClientSecret}
	realm := `Basic realm="sandbox"`

	for _, tc := range []errorCase{
		{name: "an unknown client with Basic is 401 invalid_client with a challenge", body: "grant_type=client_credentials",
			basic: [2]string{"nobody", "x"}, status: 401, code: "invalid_client", wwwAuth: realm},
		{name: "a wrong secret in the body is 401 invalid_client without a challenge",
			body: "grant_type=client_credentials&client_id=" + c.ClientID + "&client_secret=wrong", status: 401, code: "invalid_client"},
		{name: "a wrong secret with Basic is 401 invalid_client with a challenge", body: "grant_type=client_credentials",
			basic: [2]string{c.ClientID, "wrong"}, status: 401, code: "invalid_client", wwwAuth: realm},
		{name: "a revoked client is 401 invalid_client", body: "grant_type=client_credentials",
			basic: [2]string{revoked.ClientID, revoked.ClientSecret}, status: 401, code: "invalid_client", wwwAuth: realm},
		{name: "a client of another environment is 401 invalid_client", body: "grant_type=client_credentials",
			basic: [2]string{prod.ClientID, prod.ClientSecret}, status: 401, code: "invalid_client", wwwAuth: realm},
		{name: "a request from outside the client's IP allowlist is 401 invalid_client", body: "grant_type=client_credentials",
			basic: [2]string{fenced.ClientID, fenced.ClientSecret}, status: 401, code: "invalid_client", wwwAuth: realm},
		{name: "no client authentication is 401 invalid_client", body: "grant_type=client_credentials", status: 401, code: "invalid_client"},
		{name: "a missing grant_type is 400 invalid_request", body: "client_id=" + c.ClientID + "&client_secret=" + c.ClientSecret,
			status: 400, code: "invalid_request"},
		{name: "a duplicated parameter is 400 invalid_request", body: post("&scope=ledger:read&scope=ledger:read"), status: 400, code: "invalid_request"},
		{name: "a malformed body is 400 invalid_request", body: post("&scope=%zz"), status: 400, code: "invalid_request"},
		{name: "a JSON body is 400 invalid_request", contentType: "application/json", body: `{"grant_type":"client_credentials"}`,
			status: 400, code: "invalid_request"},
		{name: "two authentication methods are 400 invalid_request", body: post(""), basic: basic, status: 400, code: "invalid_request"},
		{name: "credentials in the query string are 400 invalid_request", query: "client_secret=" + c.ClientSecret,
			body: "grant_type=client_credentials&client_id=" + c.ClientID, status: 400, code: "invalid_request"},
		{name: "the password grant is 400 unsupported_grant_type", body: "grant_type=password&username=a&password=b",
			basic: basic, status: 400, code: "unsupported_grant_type"},
		{name: "a scope the client lacks is 400 invalid_scope", body: post("&scope=ledger:write"), status: 400, code: "invalid_scope"},
		{name: "an audience the client lacks is 400 invalid_target", body: post("&audience=https://payments.example.com"), status: 400, code: "invalid_target"},
		{name: "a resource the client lacks is 400 invalid_target", body: post("&resource=https://payments.example.com"), status: 400, code: "invalid_target"},
		{name: "GET is 405 invalid_request with Allow: POST", method: http.MethodGet, status: 405, code: "invalid_request", allow: "POST"},
		{name: "PUT is 405 invalid_request with Allow: POST", method: http.MethodPut, body: post(""), status: 405, code: "invalid_request", allow: "POST"},
		{name: "an unknown environment is 404 invalid_request", path: "/realms/nowhere/protocol/openid-connect/token", body: post(""),
			status: 404, code: "invalid_request"},
		{name: "an unknown environment under /auth is 404 invalid_request", path: "/auth/realms/nowhere/protocol/openid-connect/token", body: post(""),
			status: 404, code: "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
	}
}

// TestTokenEndpointAnswers503WhenTheStoreIsLost starts a server whose cache
// never reaches the store again after start: once the cache is older than
// cache_max_staleness, token requests are refused with 503.
func TestTokenEndpointAnswers503WhenTheStoreIsLost(t *testing.T) {
	s := startServer(t, app.Config{CachePoll: time.Hour, CacheMaxStaleness: 300 * time.Millisecond})
	c := s.createClient(t, wire.CreateClientRequest{})
	tc := errorCase{body: "grant_type=client_credentials", basic: [2]string{c.ClientID, c.ClientSecret},
		status: 503, code: "temporarily_unavailable"}
	eventually(t, 5*time.Second, func() error {
		resp := postForm(t, s.tokenURL("sandbox"), url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret)
		if resp.StatusCode != 503 {
			return errNotYet
		}
		return nil
	})
	tc.run(t, s)
}

// TestTokenEndpointAnswers500ForAnInternalFault makes an environment without
// a signing key (as a broken manual change to the database would) and checks
// that its clients get a plain 500 server_error with no internals.
func TestTokenEndpointAnswers500ForAnInternalFault(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, app.Config{DataDir: dir})
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(dir, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	if err := st.CreateEnvironment(ctx, &gatehouse.Environment{Name: "keyless", SigningAlgorithm: gatehouse.AlgES256,
		Tokens: gatehouse.DefaultTokenSettings(), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	c := s.createClient(t, wire.CreateClientRequest{Environment: "keyless"})
	tc := errorCase{path: "/realms/keyless/protocol/openid-connect/token", body: "grant_type=client_credentials",
		basic: [2]string{c.ClientID, c.ClientSecret}, status: 500, code: "server_error", wwwAuth: ""}
	tc.run(t, s)
	if strings.Contains(s.Logs.String(), c.ClientSecret) {
		t.Fatal("the client secret reached the log")
	}
}
