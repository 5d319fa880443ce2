package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// dashboardAccount makes an account with a developer and returns the
// developer's email and password and the account id.
func dashboardAccount(t *testing.T, s *server, name string) (email, pw string, id int64) {
	t.Helper()
	a, err := s.Admin.CreateAccount(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	email = "dev@" + strings.ToLower(name) + ".example"
	return email, s.createUser(t, email, a.ID, gatehouse.RoleDeveloper), a.ID
}

// runCurl runs a curl line copied from the dashboard in a shell and returns
// the JSON answer.
func runCurl(t *testing.T, line string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	out, err := exec.Command("sh", "-c", line+" --silent --show-error").CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", line, err, out)
	}
	m := map[string]any{}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%s answered %q", line, out)
	}
	return m
}

// withoutJavaScript switches the page's scripts off until the test ends.
func (b *browser) withoutJavaScript() {
	b.t.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		b.t.Fatalf("switch JavaScript off: %v", err)
	}
}

// in returns b reporting to t, for use in a subtest.
func (b *browser) in(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

// secretOnPage reads the client id, secret and API key the page shows.
func (b *browser) secretOnPage() (id, secret, apiKey string) {
	b.t.Helper()
	return strings.TrimSpace(b.text("#new-client-id")), strings.TrimSpace(b.text("#new-secret")), strings.TrimSpace(b.text("#new-api-key"))
}

func TestDashboardCredentialLifecycle(t *testing.T) {
	s := startServer(t, app.Config{Protection: app.ProtectionConfig{UsageInterval: 100 * time.Millisecond}})
	ctx := context.Background()
	if _, err := s.Admin.UpdateEnvironment(ctx, "sandbox", wire.UpdateEnvironmentRequest{AllowReveal: wire.Some(true)}); err != nil {
		t.Fatal(err)
	}
	email, pw, _ := dashboardAccount(t, s, "Acme")
	// Another client of the environment, to introspect with.
	checker := s.createClient(t, wire.CreateClientRequest{Name: "checker"})

	b := newBrowser(t, s)
	b.withoutJavaScript() // create, renew, rotate and revoke are plain forms
	if status := b.signIn(email, pw); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := b.open("/ui/env/sandbox/credentials"); status != http.StatusOK || !b.has("#no-credentials") {
		t.Fatalf("credentials page: status %d, or it does not say the list is empty", status)
	}
	b.screenshot("credentials-empty")

	// Create: the secret, the API key and the curl lines are on the page.
	b.fill("#create-name", "billing-batch", "#create-scopes", "ledger:read ledger:write")
	if status := b.click("#create-submit"); status != http.StatusOK {
		t.Fatalf("create: status %d", status)
	}
	id, secret, apiKey := b.secretOnPage()
	b.do(chromedp.EmulateViewport(320, 640))
	if w := b.eval("document.documentElement.scrollWidth"); w != "320" {
		t.Errorf("the new secret's page is %s px wide at a 320 px viewport", w)
	}
	b.do(chromedp.EmulateViewport(1280, 900))
	if len(id) != gatehouse.ClientIDLength || len(secret) != gatehouse.SecretLength || !strings.HasPrefix(apiKey, "gh_sbx_") {
		t.Fatalf("the page shows client id %q, secret of %d characters, API key %.7s…", id, len(secret), apiKey)
	}
	b.screenshot("credential-created")
	keycloak, lemonway := b.text("#curl-keycloak"), b.text("#curl-lemonway")
	t.Run("the curl lines from the page get tokens, the Lemonway-style one with the API key", func(t *testing.T) {
		if m := runCurl(t, keycloak); m["access_token"] == nil || m["token_type"] != "Bearer" {
			t.Fatalf("Keycloak-style line answered %v", m)
		}
		if m := runCurl(t, lemonway); m["access_token"] == nil || m["token_Type"] != "Bearer" {
			t.Fatalf("Lemonway-style line answered %v", m)
		}
		if a := requestToken(t, s, "sandbox", id, secret, ""); a.status != http.StatusOK {
			t.Fatalf("the secret copied from the page got %+v at the token endpoint", a)
		}
	})
	t.Run("the secret is shown only once", func(t *testing.T) {
		b := b.in(t)
		b.open("/ui/env/sandbox/credentials/" + id + "/secret")
		if !b.has("#secret-gone") || b.has("#new-secret") {
			t.Fatal("opening the secret page again shows the secret")
		}
	})

	base := "/ui/env/sandbox/credentials/" + id
	t.Run("reveal refuses a wrong password, audits and counts it, and shows the secret after the right one", func(t *testing.T) {
		b := b.in(t)
		b.open(base)
		b.screenshot("credential")
		b.fill("#reveal-password", "not-my-password")
		b.click("#reveal")
		if flash := b.text(".flash-error"); !strings.Contains(flash, "Wrong password") {
			t.Fatalf("a wrong password shows %q", flash)
		}
		if b.has("#new-secret") {
			t.Fatal("a wrong password showed the secret")
		}
		denied := auditEvents(t, s, adminclient.AuditQuery{Action: gatehouse.ActionClientReveal}, 1)
		if denied[0].Outcome != gatehouse.OutcomeDenied || denied[0].Object != "client:"+id {
			t.Fatalf("the refused reveal is audited as %+v", denied[0])
		}
		b.fill("#reveal-password", pw)
		b.click("#reveal")
		if _, got, _ := b.secretOnPage(); got != secret {
			t.Fatal("the revealed secret is not the one shown at creation")
		}
		b.screenshot("credential-revealed")
	})

	var renewed string
	t.Run("renew: the old secret gets 401 at once", func(t *testing.T) {
		b := b.in(t)
		b.open(base)
		b.click("#renew")
		_, renewed, _ = b.secretOnPage()
		if renewed == secret || renewed == "" {
			t.Fatal("renew did not show a new secret")
		}
		if a := requestToken(t, s, "sandbox", id, secret, ""); a.status != http.StatusUnauthorized || a.err != "invalid_client" {
			t.Fatalf("the old secret after renew got %+v, want 401 invalid_client", a)
		}
		if a := requestToken(t, s, "sandbox", id, renewed, ""); a.status != http.StatusOK {
			t.Fatalf("the renewed secret got %+v", a)
		}
	})

	var rotated string
	t.Run("rotate with 24 hours of grace: both secrets work", func(t *testing.T) {
		b := b.in(t)
		b.open(base)
		b.fill("#grace", "24h")
		b.click("#rotate")
		_, rotated, _ = b.secretOnPage()
		for _, sec := range []string{renewed, rotated} {
			if a := requestToken(t, s, "sandbox", id, sec, ""); a.status != http.StatusOK {
				t.Fatalf("during the grace period a secret got %+v", a)
			}
		}
		b.open(base)
		if !b.has(".grace-ends") {
			t.Fatal("the credential page does not show when the old secret stops")
		}
		b.open("/ui/env/sandbox/credentials")
		row := b.text("tr[data-client='" + id + "']")
		if !strings.Contains(row, "billing-batch") || !strings.Contains(row, "ledger:read ledger:write") ||
			!strings.Contains(row, "active") || strings.Count(strings.ReplaceAll(row, id, ""), "UTC") != 3 {
			t.Fatalf("the list row %q lacks name, scopes, status, created, last used or the old secret's expiry", row)
		}
		b.screenshot("credentials")
	})

	t.Run("Get a test token shows the decoded claims", func(t *testing.T) {
		b := b.in(t)
		b.open(base)
		if status := b.click("#test-token"); status != http.StatusOK {
			t.Fatalf("test token: status %d", status)
		}
		claims, header := b.text("#token-claims"), b.text("#token-header")
		if !strings.Contains(claims, `"client_id": "`+id+`"`) || !strings.Contains(claims, `"scope": "ledger:read ledger:write"`) ||
			!strings.Contains(header, `"alg": "ES256"`) {
			t.Fatalf("decoded token: header %s claims %s", header, claims)
		}
		if tok := strings.TrimSpace(b.text("#token")); !activeAt(t, s, "sandbox", checker, tok) {
			t.Fatal("the test token does not introspect active")
		}
		b.screenshot("credential-test-token")
	})

	t.Run("the usage chart and the refusals show the requests just made", func(t *testing.T) {
		b := b.in(t)
		eventually(t, 10*time.Second, func() error {
			b.open("/ui/env/sandbox/usage")
			if n, _ := strconv.Atoi(b.text("#usage-total")); n < 5 {
				return fmt.Errorf("usage total %d, want at least 5", n)
			}
			if !b.has("#usage-refusals") { // audit events are written every second
				return fmt.Errorf("no refusals listed yet")
			}
			return nil
		})
		if n := b.eval(`document.querySelectorAll("#usage-chart rect.bar").length`); n != "30" {
			t.Errorf("the chart has %s bars, want 30", n)
		}
		if h := b.eval(`document.querySelector("#usage-chart rect.bar:last-of-type").getAttribute("height")`); h == "0" || h == "" {
			t.Errorf("today's bar has height %q", h)
		}
		if r := b.text("#usage-refusals"); !strings.Contains(r, "client:"+id) || !strings.Contains(r, "credentials rejected") {
			t.Errorf("refusals %q do not show the old secret's 401", r)
		}
		b.screenshot("usage")
	})

	t.Run("the audit log shows the events just made, filters and exports", func(t *testing.T) {
		b := b.in(t)
		b.open("/ui/audit")
		log := b.text("#audit-events")
		for _, action := range []string{"client.create", "client.reveal", "client.renew", "client.rotate"} {
			if !strings.Contains(log, action) {
				t.Errorf("the audit page does not show %s", action)
			}
		}
		if strings.Contains(log, "checker") || strings.Contains(log, checker.ClientID) {
			t.Error("the audit page shows another account's events")
		}
		b.screenshot("audit")
		b.open("/ui/audit?action=client.reveal&outcome=denied")
		if n := b.eval(`document.querySelectorAll("#audit-events tbody tr").length`); n != "1" {
			t.Errorf("filtered to denied reveals: %s rows, want 1", n)
		}
		csv := getWithCookies(t, s, b.eval(`document.querySelector("#export-csv").getAttribute("href")`), b.cookies())
		if !strings.HasPrefix(csv, "id,time,actor") || !strings.Contains(csv, "client.reveal") || strings.Contains(csv, "client.create") {
			t.Errorf("CSV export of the filter:\n%s", csv)
		}
		jsonl := getWithCookies(t, s, "/ui/audit/export?format=jsonl", b.cookies())
		if lines := strings.Split(strings.TrimSpace(jsonl), "\n"); len(lines) < 5 || !strings.Contains(jsonl, `"action":"client.create"`) {
			t.Errorf("JSON lines export: %d lines", len(lines))
		}
	})

	t.Run("edits apply at once: an allowlist without the user's address refuses the test token", func(t *testing.T) {
		b := b.in(t)
		b.open(base)
		b.fill("#edit-allowlist", "203.0.113.0/24")
		b.click("#save")
		if flash := b.text(".flash-info"); !strings.Contains(flash, "Saved") {
			t.Fatalf("saving the edit says %q", flash)
		}
		b.click("#test-token")
		if msg := b.text("#token-error"); !strings.Contains(msg, "invalid_client") || !strings.Contains(msg, "allowlist") {
			t.Fatalf("a test token from outside the allowlist shows %q", msg)
		}
		if a := requestToken(t, s, "sandbox", id, rotated, ""); a.status != http.StatusUnauthorized {
			t.Fatalf("a program outside the new allowlist got %+v", a)
		}
		b.open(base)
		b.eval(`document.querySelector("#edit-allowlist").value = ""`) // SetValue refuses ""
		b.click("#save")
		if a := requestToken(t, s, "sandbox", id, rotated, ""); a.status != http.StatusOK {
			t.Fatalf("after emptying the allowlist a program got %+v", a)
		}
	})

	t.Run("a public key (PEM) can be registered for private_key_jwt", func(t *testing.T) {
		b := b.in(t)
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		b.open(base)
		b.fill("#keys", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
		b.click("#save-keys")
		if flash := b.text(".flash-info"); !strings.Contains(flash, "private_key_jwt") {
			t.Fatalf("saving the key says %q", flash)
		}
		c, err := s.Admin.Client(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.PublicKeyPEM == "" {
			t.Fatal("the credential has no public key after saving one")
		}
		b.open(base)
		b.fill("#keys", "not a key")
		b.click("#save-keys")
		if flash := b.text(".flash-error"); flash == "" {
			t.Fatal("a bad key was accepted")
		}
	})

	t.Run("revoke asks first, then its tokens introspect inactive", func(t *testing.T) {
		b := b.in(t)
		tok, _ := mustToken(t, s, "sandbox", id, rotated)
		b.open(base)
		if status := b.click("#revoke-link"); status != http.StatusOK || !b.has("#confirm-revoke") {
			t.Fatalf("revoke link: status %d without a confirmation", status)
		}
		b.screenshot("credential-revoke")
		b.click("#confirm-revoke")
		if flash := b.text(".flash-info"); !strings.Contains(flash, "revoked") {
			t.Fatalf("after revoking the page says %q", flash)
		}
		if activeAt(t, s, "sandbox", checker, tok) {
			t.Fatal("a token of the revoked credential introspects active")
		}
		if a := requestToken(t, s, "sandbox", id, rotated, ""); a.status != http.StatusUnauthorized {
			t.Fatalf("the revoked credential got %+v", a)
		}
	})

	t.Run("the pages fit a 320 px wide screen", func(t *testing.T) {
		b := b.in(t)
		b.do(chromedp.EmulateViewport(320, 640))
		defer b.do(chromedp.EmulateViewport(1280, 900))
		for _, path := range []string{"/ui/env/sandbox/credentials", base, "/ui/env/sandbox/usage", "/ui/audit"} {
			b.open(path)
			if w := b.eval("document.documentElement.scrollWidth"); w != "320" {
				t.Errorf("%s is %s px wide at a 320 px viewport", path, w)
			}
		}
	})
}

// getWithCookies fetches path with the browser's cookies and returns the
// body.
func getWithCookies(t *testing.T, s *server, path string, cookies []*http.Cookie) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return string(body)
}
