package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// call is one HTTP request from the address from (sent as X-Forwarded-For
// when not empty, for servers that trust 127.0.0.1 as a proxy). It returns
// the status and the body.
func call(t *testing.T, method, target, authorization, contentType, body, from string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const formType = "application/x-www-form-urlencoded"

// basicAuth is the value of HTTP Basic credentials (RFC 6749 §2.3.1).
func basicAuth(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}

// adminToken gets an access token of the admin environment with the admin
// client's credentials, from the address from.
func adminToken(t *testing.T, s *server, from, extra string) (token string, expiresIn int64) {
	t.Helper()
	id, secret, err := gatehouse.ParseAPIKey(s.AdminKey)
	if err != nil {
		t.Fatal(err)
	}
	form := "grant_type=client_credentials&client_id=" + id + "&client_secret=" + url.QueryEscape(secret) + extra
	status, body := call(t, http.MethodPost, s.tokenURL(gatehouse.EnvAdmin), "", formType, form, from)
	if status != http.StatusOK {
		t.Fatalf("admin token from %q: %d %s", from, status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	json.Unmarshal([]byte(body), &tok)
	return tok.AccessToken, tok.ExpiresIn
}

func TestTheAllowlistGuardsEveryEndpointThatAuthenticatesAClient(t *testing.T) {
	s := startServer(t, behindProxy())
	const inside, outside = "10.2.3.4", "198.51.100.7"
	c := s.createClient(t, wire.CreateClientRequest{AllowedCIDRs: []string{"10.0.0.0/8"}})
	adminID, _, _ := gatehouse.ParseAPIKey(s.AdminKey)
	status, body := call(t, http.MethodPatch, s.URL+"/admin/v1/clients/"+adminID, "Bearer "+s.AdminKey, "application/json",
		`{"allowed_cidrs":["10.0.0.0/8"]}`, inside)
	if status != http.StatusOK {
		t.Fatalf("fence the admin client: %d %s", status, body)
	}
	accounts := s.URL + "/admin/v1/accounts"

	t.Run("the admin API key is refused from outside the admin client's allowlist", func(t *testing.T) {
		if status, body := call(t, http.MethodPost, accounts, "Bearer "+s.AdminKey, "application/json", `{"name":"x"}`, outside); status != http.StatusUnauthorized {
			t.Errorf("create an account from outside: %d %s, want 401", status, body)
		}
		if status, body := call(t, http.MethodPost, accounts, "Bearer "+s.AdminKey, "application/json", `{"name":"x"}`, inside); status != http.StatusCreated {
			t.Errorf("create an account from inside: %d %s, want 201", status, body)
		}
	})
	t.Run("an admin bearer token is refused from outside its client's allowlist", func(t *testing.T) {
		tok, _ := adminToken(t, s, inside, "")
		if status, body := call(t, http.MethodGet, accounts, "Bearer "+tok, "", "", outside); status != http.StatusUnauthorized {
			t.Errorf("list accounts with a token from outside: %d %s, want 401", status, body)
		}
		if status, body := call(t, http.MethodGet, accounts, "Bearer "+tok, "", "", inside); status != http.StatusOK {
			t.Errorf("list accounts with a token from inside: %d %s, want 200", status, body)
		}
	})

	tok := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, inside)
	if tok.status != http.StatusOK {
		t.Fatalf("token from inside: %+v", tok)
	}
	base := s.URL + "/realms/sandbox/protocol/openid-connect/"
	form := "client_id=" + c.ClientID + "&client_secret=" + url.QueryEscape(c.ClientSecret) + "&token=" + tok.token
	for _, tc := range []struct{ name, path string }{
		{"introspection", "token/introspect"},
		{"revocation", "revoke"},
	} {
		t.Run(tc.name+" by a fenced client from outside is 401 invalid_client", func(t *testing.T) {
			status, body := call(t, http.MethodPost, base+tc.path, "", formType, form, outside)
			if status != http.StatusUnauthorized || !strings.Contains(body, `"invalid_client"`) {
				t.Errorf("%s from outside: %d %s, want 401 invalid_client", tc.name, status, body)
			}
		})
	}
	t.Run("the revocation feed refuses a fenced client from outside", func(t *testing.T) {
		basic := "Basic " + basicAuth(c.ClientID, c.ClientSecret)
		if status, body := call(t, http.MethodGet, s.URL+"/realms/sandbox/revocation-feed", basic, "", "", outside); status != http.StatusUnauthorized {
			t.Errorf("the feed from outside: %d %s, want 401", status, body)
		}
	})
	t.Run("introspection by a fenced client from inside answers, and the token was not revoked", func(t *testing.T) {
		status, body := call(t, http.MethodPost, base+"token/introspect", "", formType, form, inside)
		if status != http.StatusOK || !strings.Contains(body, `"active":true`) {
			t.Errorf("introspection from inside: %d %s", status, body)
		}
	})
}

func TestLegacyDialectsRefuseTheAdminEnvironmentAndSwitchedOffOnes(t *testing.T) {
	off := false
	cfg := app.Config{Dialects: app.DialectsConfig{
		Lemonway: app.DialectConfig{Environments: map[string]app.DialectSettingConfig{"production": {Enabled: &off}}},
	}}
	s := startServer(t, cfg)
	adminID, adminSecret, _ := gatehouse.ParseAPIKey(s.AdminKey)
	lemonway, lengow := s.URL+"/oauth/api/v1/oauth/token", s.URL+"/access/get_token"

	if status, body := call(t, http.MethodPost, lemonway, "basic "+s.AdminKey, formType, "Grant_type=client_credentials", ""); status != http.StatusUnauthorized ||
		!strings.Contains(body, `"invalid_client"`) {
		t.Errorf("the admin key at the Lemonway-style endpoint: %d %s, want 401 invalid_client", status, body)
	}
	lengowForm := "access_token=" + adminID + "&secret=" + url.QueryEscape(adminSecret)
	if status, body := call(t, http.MethodPost, lengow, "", formType, lengowForm, ""); status != http.StatusUnauthorized {
		t.Errorf("the admin client at the Lengow-style endpoint: %d %s, want 401", status, body)
	}
	prod := s.createClient(t, wire.CreateClientRequest{Environment: "production"})
	if status, body := call(t, http.MethodPost, lemonway, "basic "+prod.APIKey, formType, "Grant_type=client_credentials", ""); status != http.StatusUnauthorized {
		t.Errorf("a production key where the dialect is off in production: %d %s, want 401", status, body)
	}
	sbx := s.createClient(t, wire.CreateClientRequest{})
	if status, body := call(t, http.MethodPost, lemonway, "basic "+sbx.APIKey, formType, "Grant_type=client_credentials", ""); status != http.StatusOK {
		t.Errorf("a sandbox key: %d %s, want 200", status, body)
	}
}

func TestAdminTokensNameTheAdminIssuerAndAreShortLived(t *testing.T) {
	s := startServer(t, app.Config{AdminTokenLifetime: 2 * time.Minute})
	accounts := s.URL + "/admin/v1/accounts"
	// The admin environment is set to issue hour-long tokens: the cap wins.
	status, body := call(t, http.MethodPatch, s.URL+"/admin/v1/environments/admin", "Bearer "+s.AdminKey, "application/json",
		`{"token_settings":{"lifetime_seconds":3600}}`, "")
	if status != http.StatusOK {
		t.Fatalf("set the admin environment's lifetime: %d %s", status, body)
	}
	tok, expiresIn := adminToken(t, s, "", "")
	if expiresIn > 120 || expiresIn <= 0 {
		t.Errorf("an admin token lives %d s, want at most 120", expiresIn)
	}
	if status, body := call(t, http.MethodGet, accounts, "Bearer "+tok, "", "", ""); status != http.StatusOK {
		t.Errorf("an admin token for the admin issuer: %d %s, want 200", status, body)
	}
	// A token of the admin environment meant for another API is no admin
	// credential.
	adminID, _, _ := gatehouse.ParseAPIKey(s.AdminKey)
	const elsewhere = "https://elsewhere.example.com"
	status, body = call(t, http.MethodPatch, s.URL+"/admin/v1/clients/"+adminID, "Bearer "+s.AdminKey, "application/json",
		`{"audiences":["`+elsewhere+`"]}`, "")
	if status != http.StatusOK {
		t.Fatalf("let the admin client ask for another audience: %d %s", status, body)
	}
	other, _ := adminToken(t, s, "", "&audience="+url.QueryEscape(elsewhere))
	if status, body := call(t, http.MethodGet, accounts, "Bearer "+other, "", "", ""); status != http.StatusUnauthorized {
		t.Errorf("an admin token for another audience: %d %s, want 401", status, body)
	}
}
