package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

const ledgerAPI = "https://ledger.example.com"

// tokenClaims are the claims the end-to-end tests read from a verified token.
type tokenClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope"`
	AccountID int64  `json:"account_id"`
	ID        string `json:"jti"`
	Expiry    int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
}

// TestThirdPartyClientsGetAndVerifyTokens drives the server with
// golang.org/x/oauth2's client credentials flow in both authentication
// styles and verifies every token with go-oidc through discovery.
func TestThirdPartyClientsGetAndVerifyTokens(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{Scopes: []string{"ledger:read", "ledger:write"}, Audiences: []string{ledgerAPI}})
	ctx := context.Background()

	for _, prefix := range []string{"", "/auth"} {
		for _, style := range []struct {
			name  string
			style oauth2.AuthStyle
		}{{"client_secret_basic", oauth2.AuthStyleInHeader}, {"client_secret_post", oauth2.AuthStyleInParams}} {
			t.Run(style.name+" at "+prefix+"/realms", func(t *testing.T) {
				cc := clientcredentials.Config{
					ClientID: c.ClientID, ClientSecret: c.ClientSecret,
					TokenURL:       s.URL + prefix + "/realms/sandbox/protocol/openid-connect/token",
					Scopes:         []string{"ledger:read"},
					EndpointParams: url.Values{"resource": {ledgerAPI}},
					AuthStyle:      style.style,
				}
				tok, err := cc.Token(ctx)
				if err != nil {
					t.Fatalf("token: %v", err)
				}
				if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
					t.Fatalf("token type %q expiry %v", tok.TokenType, tok.Expiry)
				}
				// Discovery names the canonical issuer whichever prefix served the token.
				issuer := s.URL + "/realms/sandbox"
				provider, err := oidc.NewProvider(ctx, issuer)
				if err != nil {
					t.Fatalf("discovery: %v", err)
				}
				verifier := provider.Verifier(&oidc.Config{ClientID: ledgerAPI})
				idt, err := verifier.Verify(ctx, tok.AccessToken)
				if err != nil {
					t.Fatalf("go-oidc refused the token: %v", err)
				}
				var cl tokenClaims
				if err := idt.Claims(&cl); err != nil {
					t.Fatal(err)
				}
				if cl.Issuer != issuer || cl.Subject != c.ClientID || cl.ClientID != c.ClientID || cl.Audience != ledgerAPI ||
					cl.Scope != "ledger:read" || cl.AccountID != c.AccountID || cl.ID == "" || cl.Expiry-cl.IssuedAt != 300 {
					t.Fatalf("claims = %+v", cl)
				}
				if got := tok.Extra("scope"); got != "ledger:read" {
					t.Errorf("scope in response = %v", got)
				}
			})
		}
	}

	t.Run("a token of one environment does not verify against another", func(t *testing.T) {
		cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: s.tokenURL("sandbox")}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		provider, err := oidc.NewProvider(ctx, s.URL+"/realms/production")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := provider.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(ctx, tok.AccessToken); err == nil {
			t.Fatal("production's keys verified a sandbox token")
		}
	})

	t.Run("x/oauth2 surfaces the RFC 6749 error code of a wrong secret", func(t *testing.T) {
		cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: "wrong", TokenURL: s.tokenURL("sandbox")}
		_, err := cc.Token(ctx)
		re, ok := err.(*oauth2.RetrieveError)
		if !ok || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
			t.Fatalf("err = %#v", err)
		}
	})
}

// TestTokenResponseShape checks the exact JSON of a successful token
// response, including the Keycloak fields and no-store headers.
func TestTokenResponseShape(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{Scopes: []string{"ledger:read"}})
	resp := postForm(t, s.URL+"/auth/realms/sandbox/protocol/openid-connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
	}, "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"token_type": "Bearer", "expires_in": 300.0, "refresh_expires_in": 0.0, "not-before-policy": 0.0, "scope": "ledger:read"}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("%s = %v, want %v", k, body[k], v)
		}
	}
	if tok, _ := body["access_token"].(string); strings.Count(tok, ".") != 2 {
		t.Errorf("access_token %v is not a JWT", body["access_token"])
	}
	if len(body) != 6 {
		t.Errorf("body has fields %v, want exactly access_token and %v", body, want)
	}
}

// TestIntrospectionAndRevocationOverHTTP walks RFC 7662 and RFC 7009.
func TestIntrospectionAndRevocationOverHTTP(t *testing.T) {
	s := startServer(t, app.Config{})
	owner := s.createClient(t, wire.CreateClientRequest{Scopes: []string{"ledger:read"}})
	api := s.createClient(t, wire.CreateClientRequest{Name: "ledger-api"})
	tok := fetchToken(t, s, "sandbox", owner.ClientID, owner.ClientSecret)
	introspectURL := s.URL + "/realms/sandbox/protocol/openid-connect/token/introspect"
	revokeURL := s.URL + "/realms/sandbox/protocol/openid-connect/revoke"

	introspect := func(id, secret string) map[string]any {
		t.Helper()
		resp := postForm(t, introspectURL, url.Values{"token": {tok}}, id, secret)
		if resp.StatusCode != 200 {
			t.Fatalf("introspection status %d", resp.StatusCode)
		}
		m := map[string]any{}
		json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	if m := introspect(api.ClientID, api.ClientSecret); m["active"] != true || m["client_id"] != owner.ClientID || m["scope"] != "ledger:read" {
		t.Fatalf("introspection by another client of the environment = %v", m)
	}
	if resp := postForm(t, introspectURL, url.Values{"token": {tok}}, "", ""); resp.StatusCode != 401 {
		t.Fatalf("anonymous introspection status %d, want 401", resp.StatusCode)
	}
	resp := postForm(t, revokeURL, url.Values{"token": {tok}}, api.ClientID, api.ClientSecret)
	if resp.StatusCode != 400 || decodeError(t, resp) != "unauthorized_client" {
		t.Fatalf("revocation by another client: %d", resp.StatusCode)
	}
	if m := introspect(api.ClientID, api.ClientSecret); m["active"] != true {
		t.Fatal("a refused revocation must leave the token active")
	}
	if resp := postForm(t, revokeURL, url.Values{"token": {tok}}, owner.ClientID, owner.ClientSecret); resp.StatusCode != 200 {
		t.Fatalf("revocation status %d", resp.StatusCode)
	}
	if m := introspect(api.ClientID, api.ClientSecret); m["active"] != false || len(m) != 1 {
		t.Fatalf("after revocation introspection = %v, want only active=false", m)
	}
	if resp := postForm(t, revokeURL, url.Values{"token": {"unknown"}}, owner.ClientID, owner.ClientSecret); resp.StatusCode != 200 {
		t.Fatalf("revoking an unknown token: status %d, want 200", resp.StatusCode)
	}
}

func fetchToken(t *testing.T, s *server, env, id, secret string) string {
	t.Helper()
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: s.tokenURL(env)}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}

func decodeError(t *testing.T, resp *http.Response) string {
	t.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("error body: %v", err)
	}
	return e.Error
}
