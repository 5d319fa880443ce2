package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/client"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// countingProxy is a reverse proxy in front of a server that counts the
// requests per path, so a test sees what a client really sent.
type countingProxy struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[r.URL.Path]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *countingProxy) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[path]
}

// inFlight counts token requests through a source's hooks, so a test can
// wait for a background refresh to finish.
type inFlight struct{ started, finished atomic.Int64 }

func (f *inFlight) hooks() client.Hooks {
	return client.Hooks{
		FetchStart:   func(client.Fetch) { f.started.Add(1) },
		FetchSuccess: func(client.Fetch, time.Duration, time.Duration) { f.finished.Add(1) },
		Backoff:      func(client.Fetch, time.Duration) { f.finished.Add(1) },
	}
}

func (f *inFlight) settle(t *testing.T) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		if f.started.Load() != f.finished.Load() {
			return errNotYet
		}
		return nil
	})
}

// TestClientOneTokenRequestPerLifetime has 100 goroutines use one
// client.TokenSource against the real server for more than four token
// lifetimes (a 60 s lifetime set on the client; the client's clock moved by
// the test in 1 s steps): the server sees one token request at the start
// and one refresh per token lifetime after, at 80 % of it, and no caller
// ever gets an expired token.
func TestClientOneTokenRequestPerLifetime(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{Scopes: []string{"ledger:read"}})
	if _, err := s.Admin.UpdateClient(context.Background(), c.ClientID, adminclient.UpdateClientRequest{
		TokenOverrides: &wire.TokenSettingsPatch{LifetimeSeconds: wire.Some(int64(60))},
	}); err != nil {
		t.Fatal(err)
	}
	p := newCountingProxy(t, s.URL)
	clk := &testClock{t: time.Now()}
	var f inFlight
	src, err := client.New(client.Config{
		TokenURL: client.EnvironmentTokenURL(p.URL, "sandbox"), ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Now: clk.Now, Hooks: f.hooks(),
	})
	if err != nil {
		t.Fatal(err)
	}
	tokenPath := "/realms/sandbox/protocol/openid-connect/token"

	var mu sync.Mutex
	firstSeen := map[string]time.Duration{} // token → when it was first handed out
	const step, ticks = time.Second, 200
	for tick := range ticks + 1 {
		now := clk.Now()
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, err := src.Token()
				if err != nil {
					t.Errorf("at %s: %v", time.Duration(tick)*step, err)
					return
				}
				if !tok.Expiry.After(now) {
					t.Errorf("at %s: a token that expired at %s", time.Duration(tick)*step, tok.Expiry)
				}
				mu.Lock()
				if _, ok := firstSeen[tok.AccessToken]; !ok {
					firstSeen[tok.AccessToken] = time.Duration(tick) * step
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		f.settle(t)
		if t.Failed() {
			t.FailNow()
		}
		clk.Add(step)
	}
	// Requests at 0, 48, 96, 144 and 192 s.
	if n := p.count(tokenPath); n != 5 {
		t.Fatalf("%d token requests in 200 s of 60 s tokens, want 5", n)
	}
	var starts []time.Duration
	for _, at := range firstSeen {
		starts = append(starts, at)
	}
	if len(firstSeen) != 5 {
		t.Fatalf("%d distinct tokens handed out (first seen at %v), want 5", len(firstSeen), starts)
	}

}

// TestClientKeycloakAuthPath gets a token at the older Keycloak layout
// (/auth/realms/…) with client_id and client_secret in the form, as the
// Keycloak-style curl line does.
func TestClientKeycloakAuthPath(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{Scopes: []string{"ledger:read"}})
	p := newCountingProxy(t, s.URL)
	src, err := client.New(client.Config{
		TokenURL: client.EnvironmentTokenURL(p.URL+"/auth", "sandbox"), ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		AuthMethod: client.ClientSecretPost, Scopes: []string{"ledger:read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token()
	if err != nil || tok.Extra("scope") != "ledger:read" {
		t.Fatalf("token %v, %v", tok, err)
	}
	if claims := introspectClaims(t, s, "sandbox", c, tok.AccessToken); claims["active"] != true {
		t.Fatalf("introspection %v", claims)
	}
	if n := p.count("/auth/realms/sandbox/protocol/openid-connect/token"); n != 1 {
		t.Fatalf("%d requests at /auth/realms, want 1", n)
	}
}

// checkingAPI is a resource server that checks tokens by introspection at
// the Gatehouse s (as client c), expects the Authorization form of its
// dialect, and refuses the tokens a test marks as refused.
type checkingAPI struct {
	*httptest.Server
	mu      sync.Mutex
	seen    []string // tokens in the order they came
	bodies  []string
	refused map[string]bool
}

func newCheckingAPI(t *testing.T, s *server, c *wire.ClientWithSecret, bearer bool) *checkingAPI {
	t.Helper()
	a := &checkingAPI{refused: map[string]bool{}}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		tok, ok := h, !strings.Contains(h, " ")
		if bearer {
			tok, ok = strings.CutPrefix(h, "Bearer ")
		}
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.seen = append(a.seen, tok)
		a.bodies = append(a.bodies, string(body))
		refused := a.refused[tok]
		a.mu.Unlock()
		if !ok || refused || introspectClaims(t, s, "sandbox", c, tok)["active"] != true {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *checkingAPI) refuse(tok string) {
	a.mu.Lock()
	a.refused[tok] = true
	a.mu.Unlock()
}

func (a *checkingAPI) calls() ([]string, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...), append([]string(nil), a.bodies...)
}

// TestClientLengowStyle gets tokens from the real /access/get_token and
// calls an API with the raw "Authorization: <token>" of the Lengow docs; a
// 401 from the API makes the Transport fetch a new token and retry once.
func TestClientLengowStyle(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{})
	p := newCountingProxy(t, s.URL)
	src, err := client.New(client.Config{Dialect: client.Lengow, TokenURL: client.LengowTokenURL(p.URL), ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := tok.Extra("account_id").(float64); int64(id) != c.AccountID || time.Until(tok.Expiry) < 3590*time.Second || time.Until(tok.Expiry) > 3600*time.Second {
		t.Fatalf("account_id %v, expiry in %s; want %d and 3600 s", tok.Extra("account_id"), time.Until(tok.Expiry), c.AccountID)
	}
	api := newCheckingAPI(t, s, c, false)
	api.refuse(tok.AccessToken) // as if the API had not yet learnt the signing key
	resp, err := client.NewHTTPClient(src).Post(api.URL+"/v3.0/orders", "application/json", strings.NewReader(`{"page":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	seen, bodies := api.calls()
	if resp.StatusCode != 200 || len(seen) != 2 || seen[0] != tok.AccessToken || seen[1] == tok.AccessToken || bodies[1] != `{"page":1}` {
		t.Fatalf("status %d; API saw %d calls with bodies %q; want the refused token, then a fresh one with the same body", resp.StatusCode, len(seen), bodies)
	}
	if n := p.count("/access/get_token"); n != 2 {
		t.Fatalf("%d Lengow token requests, want 2", n)
	}

	t.Run("a wrong secret is invalid_client", func(t *testing.T) {
		bad, _ := client.New(client.Config{Dialect: client.Lengow, TokenURL: client.LengowTokenURL(s.URL), ClientID: c.ClientID, ClientSecret: "wrong"})
		_, err := bad.Token()
		var re *client.RetrieveError
		if !errors.As(err, &re) || re.StatusCode != 401 || re.ErrorCode != "invalid_client" {
			t.Fatalf("%v, want 401 invalid_client", err)
		}
	})
}

// TestClientLemonwayStyle gets a 90-day token from the real
// /oauth/api/v1/oauth/token with the API key; the server hands the same
// token to every source while it is valid, and an API's 401 is not retried
// with that same token.
func TestClientLemonwayStyle(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{})
	p := newCountingProxy(t, s.URL)
	newSrc := func() *client.TokenSource {
		src, err := client.New(client.Config{Dialect: client.Lemonway, TokenURL: client.LemonwayTokenURL(p.URL), APIKey: c.APIKey})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	src := newSrc()
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(tok.Expiry); tok.TokenType != "Bearer" || d < 7776000*time.Second-time.Minute || d > 7776000*time.Second {
		t.Fatalf("type %q, expiry in %s; want Bearer and 90 days", tok.TokenType, d)
	}
	api := newCheckingAPI(t, s, c, true)
	resp, err := client.NewHTTPClient(src).Get(api.URL + "/v2/accounts")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen, _ := api.calls(); resp.StatusCode != 200 || len(seen) != 1 || seen[0] != tok.AccessToken {
		t.Fatalf("status %d, API saw %d calls", resp.StatusCode, len(seen))
	}
	other, err := newSrc().Token()
	if err != nil || other.AccessToken != tok.AccessToken {
		t.Fatalf("a second source got another token (%v): reuse is on in this dialect", err)
	}

	api.refuse(tok.AccessToken)
	resp, err = client.NewHTTPClient(src).Get(api.URL + "/v2/accounts")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen, _ := api.calls(); resp.StatusCode != 401 || len(seen) != 2 {
		t.Fatalf("status %d after %d API calls; want the 401 without a retry (the server gave the same token back)", resp.StatusCode, len(seen))
	}
	if n := p.count("/oauth/api/v1/oauth/token"); n != 3 {
		t.Fatalf("%d Lemonway token requests, want 3 (two sources, one after the 401)", n)
	}
}

// TestClientPrivateKeyJWT gets tokens with assertions signed by the client
// package against keys registered through the admin API; every request
// carries a new jti (the server refuses a replayed one).
func TestClientPrivateKeyJWT(t *testing.T) {
	s := startServer(t, app.Config{})
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "ec-1", Use: "sig"}}})
	for _, tc := range []struct {
		name string
		req  wire.CreateClientRequest
		cfg  client.Config
	}{
		{"an Ed25519 key registered as PEM", wire.CreateClientRequest{PublicKeyPEM: publicKeyPEM(t, ed.Public())}, client.Config{Signer: ed, SigningAlgorithm: "EdDSA"}},
		{"a P-256 key registered in a JWKS with a kid", wire.CreateClientRequest{JWKS: set}, client.Config{Signer: ec, SigningAlgorithm: "ES256", KeyID: "ec-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Scopes = []string{"ledger:read"}
			c := s.createClient(t, tc.req)
			cfg := tc.cfg
			cfg.TokenURL, cfg.ClientID, cfg.AuthMethod = s.tokenURL("sandbox"), c.ClientID, client.PrivateKeyJWT
			src, err := client.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var tokens []string
			for range 3 {
				tok, err := src.Token()
				if err != nil {
					t.Fatalf("token: %v", err)
				}
				if claims := introspectClaims(t, s, "sandbox", c, tok.AccessToken); claims["active"] != true || claims["client_id"] != c.ClientID {
					t.Fatalf("introspection %v", claims)
				}
				tokens = append(tokens, tok.AccessToken)
				src.Invalidate(tok)
			}
			if tokens[0] == tokens[1] || tokens[1] == tokens[2] {
				t.Fatal("Invalidate did not lead to new tokens")
			}
		})
	}
}

// TestClientHonoursTheServersRateLimit sets a client limit of one token a
// minute on the real server: the second request gets 429 slow_down with a
// Retry-After, and the source sends nothing more until it has passed.
func TestClientHonoursTheServersRateLimit(t *testing.T) {
	s := startServer(t, app.Config{})
	setLimits(t, s, "sandbox", wire.RateLimits{ClientPerMinute: 1, ClientBurst: 1, IPPerMinute: 0})
	c := s.createClient(t, wire.CreateClientRequest{})
	p := newCountingProxy(t, s.URL)
	clk := &testClock{t: time.Now()}
	src, err := client.New(client.Config{TokenURL: client.EnvironmentTokenURL(p.URL, "sandbox"), ClientID: c.ClientID, ClientSecret: c.ClientSecret, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	src.Invalidate(tok)
	_, err = src.Token()
	var re *client.RetrieveError
	if !errors.As(err, &re) || re.StatusCode != 429 || re.ErrorCode != "slow_down" || re.RetryAfter < 2*time.Second {
		t.Fatalf("second request: %v, want 429 slow_down with a Retry-After of seconds", err)
	}
	clk.Add(re.RetryAfter - time.Millisecond)
	for range 50 {
		var be *client.BackoffError
		if _, err := src.Token(); !errors.As(err, &be) {
			t.Fatalf("before Retry-After passed: %v, want a BackoffError", err)
		}
	}
	if n := p.count("/realms/sandbox/protocol/openid-connect/token"); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

// TestClientKeepsItsTokenWhileTheServerFails runs a real server whose cache
// stops following the store (no poll) and refuses token requests with 503
// once it is 3 s old: the source's refreshes fail, it keeps handing out its
// still-valid token, and reports the 503 once the token is gone. (Recovery
// is in the client package's tests: this server stays stale.)
func TestClientKeepsItsTokenWhileTheServerFails(t *testing.T) {
	s := startServer(t, app.Config{CachePoll: time.Hour, CacheMaxStaleness: 3 * time.Second})
	c := s.createClient(t, wire.CreateClientRequest{})
	clk := &testClock{t: time.Now()}
	var f inFlight
	src, err := client.New(client.Config{TokenURL: s.tokenURL("sandbox"), ClientID: c.ClientID, ClientSecret: c.ClientSecret, Now: clk.Now, Hooks: f.hooks()})
	if err != nil {
		t.Fatal(err)
	}
	first, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error { // the server's cache goes stale
		resp := postForm(t, s.tokenURL("sandbox"), url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret)
		if resp.StatusCode != http.StatusServiceUnavailable {
			return errNotYet
		}
		return nil
	})

	clk.Add(250 * time.Second) // past 80 % of 300 s: refreshes start, and fail
	for range 20 {
		tok, err := src.Token()
		if err != nil || tok.AccessToken != first.AccessToken {
			t.Fatalf("while refreshes fail: %v", err)
		}
		f.settle(t)
		clk.Add(2 * time.Second)
	}
	if f.started.Load() < 3 {
		t.Fatalf("%d token requests in 40 s of failures, want refreshes to be retried", f.started.Load())
	}
	clk.Add(time.Minute) // past expiry
	_, err = src.Token()
	var re *client.RetrieveError
	if !errors.As(err, &re) || re.StatusCode != http.StatusServiceUnavailable || re.ErrorCode != "temporarily_unavailable" {
		t.Fatalf("after expiry: %v, want 503 temporarily_unavailable", err)
	}

}
