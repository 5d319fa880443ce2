package dashboard

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/password"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// clock is a settable test clock.
type clock = testenv.Clock

// harness is a dashboard on a real SQLite store with one developer user.
type harness struct {
	t       *testing.T
	d       *Dashboard
	store   *sqlstore.Store
	clock   *clock
	email   string
	pw      string
	cookies map[string]*http.Cookie
}

func newHarness(t *testing.T, change func(*Config)) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := &gatehouse.Account{Name: "Acme"}
	if err := st.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	pw := "correct horse battery staple"
	hash, err := password.Hash(pw, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{Email: "dev@acme.example", PasswordHash: hash, AccountID: a.ID, Role: gatehouse.RoleDeveloper}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	io.ReadFull(rand.Reader, key)
	ring, err := masterkey.New(key)
	if err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	cfg := Config{
		Store: st, Bans: bans.NewMemory(clk.Now), Sealer: ring, CookieKey: key,
		PublicURL: "http://127.0.0.1:8080", Now: clk.Now,
	}
	if change != nil {
		change(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, d: d, store: st, clock: clk, email: u.Email, pw: pw, cookies: map[string]*http.Cookie{}}
}

// do sends a request from addr (default 192.0.2.10) with the harness's
// cookies, keeps the cookies the answer sets, and returns the answer.
func (h *harness) do(method, path string, form url.Values, addr string) *http.Response {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if addr == "" {
		addr = "192.0.2.10"
	}
	r.RemoteAddr = addr + ":40000"
	for _, c := range h.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.d.ServeHTTP(w, r)
	resp := w.Result()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(h.cookies, c.Name)
		} else {
			h.cookies[c.Name] = c
		}
	}
	return resp
}

// signIn posts the sign-in form and returns the answer.
func (h *harness) signIn(email, pw string) *http.Response {
	h.t.Helper()
	h.do(http.MethodGet, "/ui/signin", nil, "")
	tok := h.cookies[preSessionCookie]
	if tok == nil {
		h.t.Fatal("the sign-in page set no form cookie")
	}
	return h.do(http.MethodPost, "/ui/signin", url.Values{"csrf": {tok.Value}, "email": {email}, "password": {pw}}, "")
}

// signedIn reports whether a signed-in page answers 200 (not a redirect
// to the sign-in page).
func (h *harness) signedIn() bool {
	h.t.Helper()
	resp := h.do(http.MethodGet, "/ui/account/security", nil, "")
	return resp.StatusCode == http.StatusOK
}

func TestSessionsEndAfterIdleAndAbsoluteTimeouts(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.IdleTimeout = 30 * time.Minute; c.AbsoluteTimeout = time.Hour })
	if resp := h.signIn(h.email, h.pw); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	for i, step := range []time.Duration{29 * time.Minute, 29 * time.Minute} {
		h.clock.Add(step)
		if !h.signedIn() {
			t.Fatalf("request %d, %s after the previous one: signed out, want signed in", i+1, step)
		}
	}
	h.clock.Add(3 * time.Minute) // 61 minutes after sign-in, 3 after the last request
	if h.signedIn() {
		t.Fatal("61 minutes after sign-in with a one-hour absolute timeout: still signed in")
	}

	h.signIn(h.email, h.pw)
	h.clock.Add(30 * time.Minute)
	if h.signedIn() {
		t.Fatal("30 minutes without a request with a 30-minute idle timeout: still signed in")
	}
}

func TestSignInAnswersTheSameForUnknownUsersAndWrongPasswords(t *testing.T) {
	h := newHarness(t, nil)
	unknown := h.signIn("nobody@acme.example", h.pw)
	wrong := h.signIn(h.email, "wrong")
	if unknown.StatusCode != http.StatusUnauthorized || wrong.StatusCode != http.StatusUnauthorized {
		t.Fatalf("statuses %d and %d, want 401 for both", unknown.StatusCode, wrong.StatusCode)
	}
	a, b := readBody(t, unknown), readBody(t, wrong)
	a = strings.Replace(a, "nobody@acme.example", h.email, 1)
	if a != b {
		t.Errorf("the pages differ beyond the email address:\n%s\n---\n%s", a, b)
	}
}

func TestAllowedNetworks(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	resp := h.do(http.MethodGet, "/ui/signin", nil, "192.0.2.1")
	if resp.StatusCode != http.StatusForbidden || strings.Contains(readBody(t, resp), "password") {
		t.Fatalf("a request from outside the allowed networks: status %d, want 403 without the form", resp.StatusCode)
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("the refusal has no security headers")
	}
	if resp := h.do(http.MethodGet, "/ui/signin", nil, "10.1.2.3"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a request from an allowed network: status %d, want 200", resp.StatusCode)
	}
}

func TestHTTPSMakesCookiesSecureAndSendsHSTS(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PublicURL = "https://auth.example.com" })
	resp := h.signIn(h.email, h.pw)
	if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("HSTS %q, want max-age", got)
	}
	c := h.cookies[sessionCookieSecure]
	if c == nil {
		t.Fatalf("no %s cookie; cookies %v", sessionCookieSecure, h.cookies)
	}
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("session cookie %+v, want Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain", c)
	}
}

func TestTheSessionCookieHoldsATokenTheStoreKeepsOnlyTheHashOf(t *testing.T) {
	h := newHarness(t, nil)
	h.signIn(h.email, h.pw)
	c := h.cookies[sessionCookiePlain]
	if c == nil {
		t.Fatal("no session cookie")
	}
	if _, _, err := h.store.Session(context.Background(), c.Value); err == nil {
		t.Error("the store finds a session by the cookie's token itself")
	}
	if _, _, err := h.store.Session(context.Background(), sessionID(c.Value)); err != nil {
		t.Errorf("the store does not find the session by the token's hash: %v", err)
	}
}

func TestAForgedFlashCookieIsIgnored(t *testing.T) {
	h := newHarness(t, nil)
	w := httptest.NewRecorder()
	h.d.redirect(w, httptest.NewRequest(http.MethodPost, "/ui/x", nil), "/ui/signin", flashInfo, "Saved.")
	good := w.Result().Cookies()[0]
	for _, tc := range []struct {
		name  string
		value string
		want  string
	}{
		{"a signed message shows", good.Value, "Saved."},
		{"a message with another signature does not", strings.Split(good.Value, ".")[0] + ".AAAA", ""},
		{"an unsigned message does not", "eyJLaW5kIjoiZXJyb3IiLCJNZXNzYWdlIjoiQ2FsbCAwODAwIn0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/ui/signin", nil)
			r.AddCookie(&http.Cookie{Name: flashCookie, Value: tc.value})
			f := h.d.takeFlash(httptest.NewRecorder(), r)
			got := ""
			if f != nil {
				got = f.Message
			}
			if got != tc.want {
				t.Errorf("flash %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSafeNextKeepsVisitorsOnTheDashboard(t *testing.T) {
	for in, want := range map[string]string{
		"/ui/team":               "/ui/team",
		"/ui/env/sandbox/x?a=1":  "/ui/env/sandbox/x?a=1",
		"https://evil.example/":  "/ui/",
		"//evil.example/ui/":     "/ui/",
		"/ui/\\evil":             "/ui/",
		"":                       "/ui/",
		"/admin/v1/accounts":     "/ui/",
		"/ui/x\r\nSet-Cookie: a": "/ui/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchTOTPAcceptsOneStepOfSkew(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	now := time.Date(2026, 5, 1, 9, 0, 15, 0, time.UTC)
	step := now.Unix() / totpPeriod
	for _, tc := range []struct {
		offset int64
		ok     bool
	}{{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
		code := codeAt(t, secret, step+tc.offset)
		got, ok := matchTOTP(secret, code, now)
		if ok != tc.ok || (ok && got != step+tc.offset) {
			t.Errorf("code of step %+d: matched step %d ok %v, want ok %v", tc.offset, got-step, ok, tc.ok)
		}
	}
	if _, ok := matchTOTP(secret, "12345", now); ok {
		t.Error("a five-digit code matched")
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSignInsAreAudited(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Lockout.AccountFailures = 2 })
	h.signIn(h.email, "wrong")
	h.signIn("nobody@acme.example", "my password typed as email")
	h.signIn(h.email, h.pw)
	h.signIn(h.email, "wrong")
	h.signIn(h.email, "wrong")
	h.signIn(h.email, h.pw) // locked
	events, err := h.store.AuditEvents(context.Background(), gatehouse.AuditFilter{Action: actionSignIn})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if e.SourceIP != "192.0.2.10" {
			t.Errorf("event %+v has source IP %q, want 192.0.2.10", e, e.SourceIP)
		}
		if strings.Contains(e.Object+e.Actor+e.Detail, "nobody") || strings.Contains(e.Detail, "password typed") {
			t.Errorf("event %+v names what was typed for an unknown user", e)
		}
		got = append(got, e.Object+" "+e.Outcome)
	}
	slices.Sort(got)
	want := []string{
		"user:dev@acme.example failure", "user:dev@acme.example failure", "user:dev@acme.example failure",
		"user:dev@acme.example success", "user:unknown denied", "user:unknown failure",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audited sign-ins %q, want %q", got, want)
	}
}

func TestCrossOriginChecks(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.PublicURL = "https://auth.example.com" })
	h.signIn(h.email, h.pw)
	tok := h.csrf("/ui/account/security")
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"same-origin fetch metadata passes", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"a cross-site request is refused", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"a same-site request from another origin is refused", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"without fetch metadata, the public URL's origin passes", map[string]string{"Origin": "https://auth.example.com"}, http.StatusOK},
		{"without fetch metadata, another origin is refused", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://10.0.0.5:8080/ui/account/totp", strings.NewReader(url.Values{"csrf": {tok}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			for _, c := range h.cookies {
				r.AddCookie(c)
			}
			w := httptest.NewRecorder()
			h.d.ServeHTTP(w, r)
			got := w.Code
			if got == http.StatusSeeOther { // accepted: enrolment started
				got = http.StatusOK
			}
			if got != tc.want {
				t.Errorf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
}
