package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// send sends a request built from raw parts, as the documented curl lines do.
func send(t *testing.T, method, target string, header map[string]string, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("status %d: body %q is not a JSON object", resp.StatusCode, raw)
	}
	return resp, m
}

// curlData are the headers curl sends with --data.
var curlData = map[string]string{"User-Agent": "curl/8.5.0", "Accept": "*/*", "Content-Type": "application/x-www-form-urlencoded"}

// createEnvironment creates an environment through the admin API.
func (s *server) createEnvironment(t *testing.T, name string) {
	t.Helper()
	resp, body := send(t, http.MethodPost, s.URL+"/admin/v1/environments",
		map[string]string{"Authorization": "Bearer " + s.AdminKey, "Content-Type": "application/json"}, `{"name":"`+name+`"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create environment %s: %d %v", name, resp.StatusCode, body)
	}
}

// wantFields fails unless body has exactly the fields of want, with want's
// values, or of want's JSON types where a value in want is a typeOnly.
func wantFields(t *testing.T, body map[string]any, want map[string]any) {
	t.Helper()
	if len(body) != len(want) {
		t.Errorf("body %v has %d fields, want %d", body, len(body), len(want))
	}
	for k, v := range want {
		got, ok := body[k]
		if !ok {
			t.Errorf("field %q missing from %v", k, body)
			continue
		}
		switch v := v.(type) {
		case typeOnly:
			if string(v) != jsonType(got) {
				t.Errorf("field %q = %v (%s), want a %s", k, got, jsonType(got), v)
			}
		default:
			if got != v {
				t.Errorf("field %q = %v (%T), want %v (%T)", k, got, got, v, v)
			}
		}
	}
}

type typeOnly string

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "object"
}

// introspectClaims introspects token in env as client c.
func introspectClaims(t *testing.T, s *server, env string, c *wire.ClientWithSecret, token string) map[string]any {
	t.Helper()
	resp := postForm(t, s.URL+"/realms/"+env+"/protocol/openid-connect/token/introspect", url.Values{"token": {token}}, c.ClientID, c.ClientSecret)
	m := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("introspect: %d %v", resp.StatusCode, err)
	}
	return m
}

// TestKeycloakStyleFlow runs the documented request against realms with
// free names (test-clients for test, clients for production), byte for byte
// as `curl -k --data "grant_type=client_credentials&client_id=…&client_secret=…" …/auth/realms/<env>/protocol/openid-connect/token`.
func TestKeycloakStyleFlow(t *testing.T) {
	s := startServer(t, app.Config{})
	for _, realm := range []string{"test-clients", "clients"} {
		t.Run(realm, func(t *testing.T) {
			s.createEnvironment(t, realm)
			c := s.createClient(t, wire.CreateClientRequest{Environment: realm, Scopes: []string{"ledger:read", "collection:write"}})
			target := s.URL + "/auth/realms/" + realm + "/protocol/openid-connect/token"
			resp, body := send(t, http.MethodPost, target, curlData,
				"grant_type=client_credentials&client_id="+c.ClientID+"&client_secret="+c.ClientSecret)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("status %d headers %v body %v", resp.StatusCode, resp.Header, body)
			}
			wantFields(t, body, map[string]any{
				"access_token": typeOnly("string"), "expires_in": 300.0, "refresh_expires_in": 0.0,
				"token_type": "Bearer", "not-before-policy": 0.0, "scope": "ledger:read collection:write",
			})
			// The API then gets "Authorization: Bearer <token>"; the provider's
			// API checks it, here by introspection.
			claims := introspectClaims(t, s, realm, c, body["access_token"].(string))
			if claims["active"] != true || claims["iss"] != s.URL+"/realms/"+realm {
				t.Fatalf("introspection = %v", claims)
			}

			t.Run("a wrong secret is 401 invalid_client", func(t *testing.T) {
				resp, body := send(t, http.MethodPost, target, curlData, "grant_type=client_credentials&client_id="+c.ClientID+"&client_secret=nope")
				if resp.StatusCode != 401 || body["error"] != "invalid_client" || resp.Header.Get("WWW-Authenticate") != "" {
					t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, body)
				}
			})
			t.Run("the credentials of another realm are 401 invalid_client", func(t *testing.T) {
				other := s.createClient(t, wire.CreateClientRequest{Environment: "sandbox"})
				resp, body := send(t, http.MethodPost, target, curlData, "grant_type=client_credentials&client_id="+other.ClientID+"&client_secret="+other.ClientSecret)
				if resp.StatusCode != 401 || body["error"] != "invalid_client" {
					t.Fatalf("%d %v", resp.StatusCode, body)
				}
			})
		})
	}
	t.Run("an unknown realm is 404 invalid_request", func(t *testing.T) {
		resp, body := send(t, http.MethodPost, s.URL+"/auth/realms/nope/protocol/openid-connect/token", curlData, "grant_type=client_credentials&client_id=a&client_secret=b")
		if resp.StatusCode != 404 || body["error"] != "invalid_request" {
			t.Fatalf("%d %v", resp.StatusCode, body)
		}
	})
}

// TestLengowStyleFlow posts access_token and secret to /access/get_token as
// a form, as JSON and as Postman's multipart form.
func TestLengowStyleFlow(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{Environment: "production", Scopes: []string{"feed:read"}})
	target := s.URL + "/access/get_token"

	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	mw.WriteField("access_token", c.ClientID)
	mw.WriteField("secret", c.ClientSecret)
	mw.Close()
	for _, tc := range []struct {
		name, contentType, body string
	}{
		{"a form body", "application/x-www-form-urlencoded", "access_token=" + c.ClientID + "&secret=" + c.ClientSecret},
		{"a JSON body", "application/json", `{"access_token":"` + c.ClientID + `","secret":"` + c.ClientSecret + `"}`},
		{"a multipart body", mw.FormDataContentType(), multi.String()},
	} {
		t.Run(tc.name+" gets a token", func(t *testing.T) {
			resp, body := send(t, http.MethodPost, target, map[string]string{"Content-Type": tc.contentType}, tc.body)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("status %d headers %v body %v", resp.StatusCode, resp.Header, body)
			}
			wantFields(t, body, map[string]any{"token": typeOnly("string"), "account_id": float64(c.AccountID), "user_id": nil})
			claims := introspectClaims(t, s, "production", c, body["token"].(string))
			if claims["active"] != true || claims["exp"].(float64)-claims["iat"].(float64) != 3600 {
				t.Fatalf("the token must be active for 3600 s: %v", claims)
			}
		})
	}

	for _, tc := range []struct {
		name, method, contentType, body string
		status                          int
	}{
		{"bad credentials are 401", http.MethodPost, "application/x-www-form-urlencoded", "access_token=" + c.ClientID + "&secret=wrong", 401},
		{"an unknown access token is 401", http.MethodPost, "application/json", `{"access_token":"nobody","secret":"x"}`, 401},
		{"a missing secret is 400", http.MethodPost, "application/json", `{"access_token":"` + c.ClientID + `"}`, 400},
		{"malformed JSON is 400", http.MethodPost, "application/json", `{"access_token":`, 400},
		{"a text body is 400", http.MethodPost, "text/plain", "access_token=x&secret=y", 400},
		{"GET is 405", http.MethodGet, "", "", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.contentType != "" {
				h["Content-Type"] = tc.contentType
			}
			resp, body := send(t, tc.method, target, h, tc.body)
			e, _ := body["error"].(map[string]any)
			if resp.StatusCode != tc.status || e == nil || e["code"] != float64(tc.status) || e["message"] == "" {
				t.Fatalf("%d %v", resp.StatusCode, body)
			}
			if tc.status == 405 && resp.Header.Get("Allow") != "POST" {
				t.Fatalf("Allow = %q", resp.Header.Get("Allow"))
			}
		})
	}
}

// lemonwayHeaders are the headers of the documented curl line.
func lemonwayHeaders(auth string) map[string]string {
	return map[string]string{
		"accept":        "application/json;charset=UTF-8",
		"Authorization": auth,
		"Content-Type":  "application/x-www-form-urlencoded",
		"User-Agent":    "curl/8.5.0",
	}
}

// TestLemonwayStyleFlow runs `curl -X POST ".../oauth/api/v1/oauth/token"
// -H "accept: application/json;charset=UTF-8" -H "Authorization: basic <api key>"
// -H "Content-Type: application/x-www-form-urlencoded" -d "Grant_type=client_credentials"`.
func TestLemonwayStyleFlow(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{Scopes: []string{"wallet:read"}})
	target := s.URL + "/oauth/api/v1/oauth/token"

	resp, body := send(t, http.MethodPost, target, lemonwayHeaders("basic "+c.APIKey), "Grant_type=client_credentials")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json;charset=UTF-8" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d headers %v body %v", resp.StatusCode, resp.Header, body)
	}
	wantFields(t, body, map[string]any{"token_Type": "Bearer", "access_token": typeOnly("string"), "expires_in": 7776000.0})
	first := body["access_token"].(string)

	t.Run("the same token comes back with its remaining lifetime", func(t *testing.T) {
		_, again := send(t, http.MethodPost, target, lemonwayHeaders("basic "+c.APIKey), "Grant_type=client_credentials")
		if again["access_token"] != first || again["expires_in"].(float64) > 7776000 || again["expires_in"].(float64) < 7775990 {
			t.Fatalf("second answer %v", again)
		}
	})
	t.Run("parameter names are case-insensitive", func(t *testing.T) {
		for _, form := range []string{"grant_type=client_credentials", "GRANT_TYPE=client_credentials"} {
			resp, again := send(t, http.MethodPost, target, lemonwayHeaders("basic "+c.APIKey), form)
			if resp.StatusCode != 200 || again["access_token"] != first {
				t.Fatalf("%s: %d %v", form, resp.StatusCode, again)
			}
		}
	})
	t.Run("a standard Basic header works too", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader("Grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(c.ClientID, c.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		if resp.StatusCode != 200 || m["token_Type"] != "Bearer" {
			t.Fatalf("%d %v", resp.StatusCode, m)
		}
	})
	t.Run("the token is a valid token of the key's environment", func(t *testing.T) {
		claims := introspectClaims(t, s, "sandbox", c, first)
		if claims["active"] != true || claims["client_id"] != c.ClientID || claims["scope"] != "wallet:read" {
			t.Fatalf("introspection = %v", claims)
		}
	})

	badKey := mistype(c.APIKey, 40)
	otherSecret := gatehouse.FormatAPIKey("sandbox", c.ClientID, strings.Repeat("A", gatehouse.SecretLength))
	for _, tc := range []struct {
		name, auth, body string
		status           int
		code             string
	}{
		{"a missing Grant_type is 400", "basic " + c.APIKey, "", 400, "invalid_request"},
		{"another grant type is 400", "basic " + c.APIKey, "Grant_type=password", 400, "unsupported_grant_type"},
		{"a repeated Grant_type is 400", "basic " + c.APIKey, "Grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request"},
		{"a key with a bad checksum is 401", "basic " + badKey, "Grant_type=client_credentials", 401, "invalid_client"},
		{"a well-formed key with a wrong secret is 401", "basic " + otherSecret, "Grant_type=client_credentials", 401, "invalid_client"},
		{"no Authorization header is 401", "", "Grant_type=client_credentials", 401, "invalid_client"},
		{"a Bearer header is 401", "Bearer " + c.APIKey, "Grant_type=client_credentials", 401, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := lemonwayHeaders(tc.auth)
			if tc.auth == "" {
				delete(h, "Authorization")
			}
			resp, body := send(t, http.MethodPost, target, h, tc.body)
			if resp.StatusCode != tc.status || body["error"] != tc.code || body["error_description"] == "" ||
				resp.Header.Get("Content-Type") != "application/json;charset=UTF-8" {
				t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, body)
			}
		})
	}
}

// mistype changes the character of key at i, as a copy-paste slip would.
func mistype(key string, i int) string {
	b := []byte(key)
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

// TestLemonwayStyleReuseReplacesAnExpiredToken moves the server's clock past
// a token's lifetime: the next request gets a new token and the old one no
// longer introspects as active; 100 concurrent requests before that all get
// the same token.
func TestLemonwayStyleReuseReplacesAnExpiredToken(t *testing.T) {
	clk := &testClock{t: time.Now()}
	s := startServerWith(t, app.Config{CacheMaxStaleness: 24 * 365 * time.Hour}, func(m *app.Main) { m.Now = clk.Now })
	c := s.createClient(t, wire.CreateClientRequest{})
	target := s.URL + "/oauth/api/v1/oauth/token"
	get := func() map[string]any {
		resp, body := send(t, http.MethodPost, target, lemonwayHeaders("basic "+c.APIKey), "Grant_type=client_credentials")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, body)
		}
		return body
	}
	tokensSeen := make([]string, 100)
	var wg sync.WaitGroup
	for i := range tokensSeen {
		wg.Add(1)
		go func() { defer wg.Done(); tokensSeen[i] = get()["access_token"].(string) }()
	}
	wg.Wait()
	for _, tok := range tokensSeen {
		if tok != tokensSeen[0] {
			t.Fatal("concurrent identical requests got different tokens")
		}
	}
	old := tokensSeen[0]
	clk.Add(89 * 24 * time.Hour)
	if b := get(); b["access_token"] != old || b["expires_in"].(float64) > 24*3600 {
		t.Fatalf("a day before expiry: %v", b)
	}
	clk.Add(24 * time.Hour)
	fresh := get()
	if fresh["access_token"] == old || fresh["expires_in"] != 7776000.0 {
		t.Fatalf("after expiry: %v", fresh)
	}
	if claims := introspectClaims(t, s, "sandbox", c, old); claims["active"] != false {
		t.Fatalf("the replaced token is still active: %v", claims)
	}
}

// TestDialectsCanBeMovedSwitchedOffAndRetimed configures the dialects.
func TestDialectsCanBeMovedSwitchedOffAndRetimed(t *testing.T) {
	off, reuse := false, true
	s := startServer(t, app.Config{Dialects: app.DialectsConfig{
		Lengow: app.DialectConfig{Path: "/legacy/token", Lifetime: 2 * time.Hour, Reuse: &reuse,
			Environments: map[string]app.DialectSettingConfig{"production": {Lifetime: 30 * time.Minute}}},
		Lemonway: app.DialectConfig{Enabled: &off},
	}})
	sandbox := s.createClient(t, wire.CreateClientRequest{})
	prod := s.createClient(t, wire.CreateClientRequest{Environment: "production"})
	lengow := func(c *wire.ClientWithSecret) map[string]any {
		resp, body := send(t, http.MethodPost, s.URL+"/legacy/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"access_token="+c.ClientID+"&secret="+c.ClientSecret)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, body)
		}
		return body
	}
	b1, b2 := lengow(sandbox), lengow(sandbox)
	if b1["token"] != b2["token"] {
		t.Fatal("reuse switched on for the dialect did not reuse")
	}
	if c := introspectClaims(t, s, "sandbox", sandbox, b1["token"].(string)); c["exp"].(float64)-c["iat"].(float64) != 7200 {
		t.Fatalf("sandbox lifetime: %v", c)
	}
	if c := introspectClaims(t, s, "production", prod, lengow(prod)["token"].(string)); c["exp"].(float64)-c["iat"].(float64) != 1800 {
		t.Fatalf("production lifetime: %v", c)
	}
	for _, path := range []string{"/access/get_token", "/oauth/api/v1/oauth/token"} {
		resp, err := http.Post(s.URL+path, "application/x-www-form-urlencoded", strings.NewReader("Grant_type=client_credentials"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("%s answers %d after being moved or switched off", path, resp.StatusCode)
		}
	}
}
