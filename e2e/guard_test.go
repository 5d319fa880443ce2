package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// sendFrom posts body (form-encoded unless contentType says otherwise) to path
// from the address xff (the tests are a trusted proxy) with extra headers.
func sendFrom(t *testing.T, s *server, path, xff, contentType, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType == "" {
		contentType = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Forwarded-For", xff)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// banByBruteForce makes xff banned by failing client authentication.
func banByBruteForce(t *testing.T, s *server, xff string, count int) {
	t.Helper()
	for range count + 1 {
		requestToken(t, s, "sandbox", "no-such-client", "wrong-secret", xff)
	}
	if a := requestToken(t, s, "sandbox", "no-such-client", "wrong-secret", xff); a.status != http.StatusTooManyRequests {
		t.Fatalf("brute force did not end in a ban: %+v", a)
	}
}

func TestABannedAddressGets429BeforeAnythingElseInEveryDialect(t *testing.T) {
	cfg := behindProxy()
	cfg.Protection.BruteForce = app.Threshold{Count: 3, Window: time.Minute}
	s := startServer(t, cfg)
	const banned, other = "198.51.100.40", "198.51.100.41"
	banByBruteForce(t, s, banned, 3)
	cases := []struct {
		name, path, contentType, body string
		header                        map[string]string
		unbanned                      int // what another address gets
	}{
		{"a malformed standard request", "/realms/sandbox/protocol/openid-connect/token", "text/plain", "grant_type=client_credentials", nil, 400},
		{"a standard request without credentials", "/realms/sandbox/protocol/openid-connect/token", "", "grant_type=client_credentials", nil, 401},
		{"a request for an unknown environment", "/realms/nowhere/protocol/openid-connect/token", "", "grant_type=client_credentials", nil, 404},
		{"a Lengow-style request without a secret", "/access/get_token", "", "access_token=abc", nil, 400},
		{"a Lemonway-style request without a key", "/oauth/api/v1/oauth/token", "", "Grant_type=client_credentials", nil, 401},
		{"a Lemonway-style request with a malformed key", "/oauth/api/v1/oauth/token", "", "Grant_type=client_credentials",
			map[string]string{"Authorization": "basic not-a-key"}, 401},
		{"an introspection without credentials", "/realms/sandbox/protocol/openid-connect/token/introspect", "", "token=x", nil, 401},
		{"a malformed revocation", "/realms/sandbox/protocol/openid-connect/revoke", "text/plain", "token=x", nil, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name+" gets 429 from a banned address", func(t *testing.T) {
			if resp := sendFrom(t, s, tc.path, other, tc.contentType, tc.body, tc.header); resp.StatusCode != tc.unbanned {
				t.Fatalf("from an address that is not banned: %d, want %d", resp.StatusCode, tc.unbanned)
			}
			resp := sendFrom(t, s, tc.path, banned, tc.contentType, tc.body, tc.header)
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("from the banned address: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		})
	}
}

func TestIntrospectionAndRevocationGoThroughTheGuard(t *testing.T) {
	cfg := behindProxy()
	cfg.Protection.BruteForce = app.Threshold{Count: 3, Window: time.Minute}
	s := startServer(t, cfg)
	c := s.createClient(t, wire.CreateClientRequest{})
	for _, tc := range []struct{ path, name, xff string }{
		{"token/introspect", "introspection", "198.51.100.50"},
		{"revoke", "revocation", "198.51.100.51"},
	} {
		t.Run(tc.name+": wrong secrets end in a ban, audited without the secret", func(t *testing.T) {
			xff, endpoint := tc.xff, tc.name
			path := "/realms/sandbox/protocol/openid-connect/" + tc.path
			var got []int
			for i := range 6 {
				form := url.Values{"token": {"x"}, "client_id": {c.ClientID}, "client_secret": {"wrong-secret-" + string(rune('a'+i))}}
				got = append(got, sendFrom(t, s, path, xff, "", form.Encode(), nil).StatusCode)
			}
			if got[0] != 401 || got[len(got)-1] != 429 {
				t.Fatalf("wrong secrets at %s got %v; want 401s, then 429 once banned", endpoint, got)
			}
			right := url.Values{"token": {"x"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}
			if resp := sendFrom(t, s, path, xff, "", right.Encode(), nil); resp.StatusCode != 429 {
				t.Fatalf("the right secret from the banned address got %d, want 429", resp.StatusCode)
			}
			eventually(t, 5*time.Second, func() error {
				page, err := s.Admin.AuditEvents(context.Background(), adminclient.AuditQuery{
					Action: gatehouse.ActionAuthFailure, Object: "client:" + c.ClientID, Limit: 500})
				if err != nil {
					return err
				}
				n := 0
				for _, e := range page.Items {
					if strings.Contains(e.Detail, "wrong-secret") || strings.Contains(e.Detail, c.ClientSecret) {
						t.Fatalf("an audit event holds a secret: %+v", e)
					}
					if e.SourceIP == xff && strings.HasSuffix(e.Detail, "at "+endpoint) {
						n++
					}
				}
				if n < 3 {
					return fmt.Errorf("%d failed authentications from %s at %s audited, want 3: %+v", n, xff, endpoint, page.Items)
				}
				return nil
			})
		})
	}
}

func TestFailedAdminAPIAuthenticationIsAuditedAndBanned(t *testing.T) {
	cfg := behindProxy()
	cfg.Protection.BruteForce = app.Threshold{Count: 3, Window: time.Minute}
	s := startServer(t, cfg)
	const xff = "198.51.100.60"
	get := func(auth string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/admin/v1/environments", nil)
		req.Header.Set("X-Forwarded-For", xff)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get(""); resp.StatusCode != 401 {
		t.Fatalf("no credentials: %d, want 401", resp.StatusCode)
	}
	var got []int
	for _, cred := range []string{"Bearer not-a-token", "Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "Bearer " + s.AdminKey[:len(s.AdminKey)-4] + "AAAA",
		"Bearer guess-1", "Bearer guess-2"} {
		got = append(got, get(cred).StatusCode)
	}
	if got[0] != 401 || got[len(got)-1] != 429 {
		t.Fatalf("failed admin API authentications got %v; want 401s, then 429 once banned", got)
	}
	if resp := get("Bearer " + s.AdminKey); resp.StatusCode != 429 {
		t.Fatalf("the right admin key from the banned address got %d, want 429", resp.StatusCode)
	} else if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Fatalf("the banned address's 429 has Retry-After %q, want the seconds left of the ban", resp.Header.Get("Retry-After"))
	}
	events := auditEvents(t, s, adminclient.AuditQuery{Action: gatehouse.ActionAuthFailure}, 4)
	admin := 0
	for _, e := range events {
		if strings.Contains(e.Detail, "not-a-token") || strings.Contains(e.Detail, "guess") || strings.Contains(e.Detail, "eyJ") {
			t.Fatalf("an audit event holds the presented credential: %+v", e)
		}
		if e.SourceIP == xff && strings.HasSuffix(e.Detail, "at admin_api") {
			admin++
		}
	}
	if admin < 4 {
		t.Fatalf("%d refused admin API calls from %s audited, want at least 4: %+v", admin, xff, events)
	}
	if _, err := s.Admin.Environments(context.Background()); err != nil {
		t.Fatalf("the admin key from another address stopped working: %v", err)
	}
}

// adminFrom returns an admin API client whose connections come from the
// loopback address local (say 127.0.0.2): an operator at another address
// than a banned 127.0.0.1, which the admin API refuses like every endpoint.
func (s *server) adminFrom(t *testing.T, local string) *adminclient.API {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 30 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return adminclient.New(s.URL, s.AdminKey, hc)
}

func TestABanSurvivesARestartOfTheServer(t *testing.T) {
	cfg := behindProxy()
	cfg.Protection.BruteForce = app.Threshold{Count: 3, Window: time.Minute}
	cfg.DataDir = t.TempDir()
	s := startServer(t, cfg)
	banByBruteForce(t, s, "198.51.100.70", 3)
	s.stop() // a graceful stop; kill -9 is TestKill9LosesNoAcknowledgedWrite's business
	again := startServer(t, cfg)
	if a := requestToken(t, again, "sandbox", "no-such-client", "x", "198.51.100.70"); a.status != http.StatusTooManyRequests {
		t.Fatalf("after a restart the banned address got %+v, want 429", a)
	}
	if a := requestToken(t, again, "sandbox", "no-such-client", "x", "198.51.100.71"); a.status != http.StatusUnauthorized {
		t.Fatalf("another address got %+v, want 401", a)
	}
}

func TestAForbiddenAdminAPICallIsAudited(t *testing.T) {
	s := startServer(t, app.Config{})
	reader := s.createClient(t, wire.CreateClientRequest{Environment: gatehouse.EnvAdmin, Name: "auditor", Scopes: []string{gatehouse.ScopeAdminRead}})
	api := adminclient.New(s.URL, reader.APIKey, nil)
	if _, err := api.Environments(context.Background()); err != nil {
		t.Fatalf("a read with admin:read: %v", err)
	}
	_, err := api.CreateAccount(context.Background(), "not-allowed")
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("a write with admin:read only: %v, want forbidden", err)
	}
	events := auditEvents(t, s, adminclient.AuditQuery{Actor: "client:" + reader.ClientID}, 1)
	var found bool
	for _, e := range events {
		if strings.Contains(e.Detail, reader.APIKey) || strings.Contains(e.Detail, reader.ClientSecret) {
			t.Fatalf("the audit event holds the credential: %+v", e)
		}
		if e.Action == "account.create" && e.Outcome == gatehouse.OutcomeDenied && e.SourceIP == "127.0.0.1" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no denied account.create event of the admin:read client: %+v", events)
	}
}
