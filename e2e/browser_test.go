package e2e

// The browser test harness: a real server, headless Chromium driven by
// chromedp, one browser per test binary and a fresh browser context
// (cookies, storage) per test.
//
//	s := startServer(t, app.Config{})
//	b := newBrowser(t, s)
//	b.signIn(operatorEmail, operatorPassword)
//	if status := b.open("/ui/team"); status != 200 { … }
//	b.screenshot("team")   // docs/dashboard/team.png when GATEHOUSE_SCREENSHOTS=1
//
// Tests skip when no Chromium binary is found (GATEHOUSE_CHROMIUM names
// one; else /usr/bin/chromium or chromium on PATH).

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/argon2"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/password"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// The first-start operator of every test server (startServerWith sets the
// password).
const (
	operatorEmail    = "admin@localhost"
	operatorPassword = "operator-password-for-tests"
)

// screenshotsEnv names the variable that makes browser tests write their
// screenshots to docs/dashboard/NAME.png.
const screenshotsEnv = "GATEHOUSE_SCREENSHOTS"

// sharedBrowser is the one Chromium of this test binary.
var sharedBrowser struct {
	once   sync.Once
	ctx    context.Context // a chromedp context whose browser runs
	cancel func()
	dir    string // the browser's fresh user data directory
	skip   string // why browser tests skip
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedBrowser.cancel != nil {
		sharedBrowser.cancel()
		os.RemoveAll(sharedBrowser.dir)
	}
	os.Exit(code)
}

// chromiumPath finds the browser binary, or returns "".
func chromiumPath() string {
	if p := os.Getenv("GATEHOUSE_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser starts the shared browser once: headless, no network
// beyond what pages ask for, nothing from a previous run.
func startBrowser() {
	s := &sharedBrowser
	path := chromiumPath()
	if path == "" {
		s.skip = "no Chromium binary (/usr/bin/chromium, chromium on PATH, or GATEHOUSE_CHROMIUM): browser tests skipped"
		return
	}
	if s.dir, s.err = os.MkdirTemp("", "gatehouse-chromium-"); s.err != nil {
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(s.dir),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	s.ctx = ctx
	s.cancel = func() { cancelCtx(); cancelAlloc() }
	if s.err = chromedp.Do(ctx); s.err != nil { // starts the browser
		s.err = fmt.Errorf("start %s: %w", path, s.err)
	}
}

// browser is one test's view of the shared browser: its own browser
// context (so its own cookies) and a server.
type browser struct {
	t   *testing.T
	ctx context.Context
	srv *server
}

// newBrowser opens a fresh browser context for s, closed when t ends. It
// skips t when there is no Chromium.
func newBrowser(t *testing.T, s *server) *browser {
	t.Helper()
	sharedBrowser.once.Do(startBrowser)
	if sharedBrowser.skip != "" {
		t.Skip(sharedBrowser.skip)
	}
	if sharedBrowser.err != nil {
		t.Fatalf("browser: %v", sharedBrowser.err)
	}
	ctx, cancel := chromedp.NewContext(sharedBrowser.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open browser context: %v", err)
	}
	return &browser{t: t, ctx: ctx, srv: s}
}

// actionTimeout bounds one step so that a missing element fails the test
// instead of hanging it.
const actionTimeout = 20 * time.Second

func (b *browser) stepCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, actionTimeout)
}

// do runs steps on the page.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// navigate runs steps that load a page (a click on a submit button, say)
// and returns the HTTP status of the document finally shown.
func (b *browser) navigate(steps ...chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return int(resp.Status)
}

// open loads path (or an absolute URL) and returns the status.
func (b *browser) open(path string) int {
	b.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = b.srv.URL + path
	}
	return b.navigate(chromedp.Navigate(path))
}

// fill sets form fields: selector, value, selector, value…
func (b *browser) fill(pairs ...string) {
	b.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(pairs); i += 2 {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(pairs[i]), pairs[i+1]))
	}
	b.do(steps...)
}

// evalSubmit submits the form sel matches from a script, which skips the
// browser's own form validation.
func evalSubmit(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](fmt.Sprintf("document.querySelector(%q).submit()", sel))(ctx, t)
		return err
	})
}

// click clicks a button that submits a form or follows a link, and returns
// the status of the page it leads to.
func (b *browser) click(sel string) int {
	b.t.Helper()
	return b.navigate(chromedp.Click(chromedp.CSS(sel)))
}

// text returns the visible text of the first element sel matches,
// waiting up to actionTimeout for one to appear. It reads the text in the
// page (innerText) rather than through DOM node ids, which a page that
// just loaded may have renumbered.
func (b *browser) text(sel string) string {
	b.t.Helper()
	expr := fmt.Sprintf("(e => e ? e.innerText : null)(document.querySelector(%q))", sel)
	deadline := time.Now().Add(actionTimeout)
	for {
		ctx, cancel := b.stepCtx()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[*string](expr))
		cancel()
		if err != nil {
			b.t.Fatalf("text of %s: %v", sel, err)
		}
		if v != nil {
			return strings.TrimSpace(*v)
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("text of %s: no such element within %s", sel, actionTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// has reports whether the page has an element sel matches, without
// waiting for one to appear.
func (b *browser) has(sel string) bool {
	b.t.Helper()
	return b.eval(fmt.Sprintf("document.querySelector(%q) !== null", sel)) == "true"
}

// eval evaluates a JavaScript expression on the page and returns its
// value as text.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return fmt.Sprint(v)
}

// formToken returns the CSRF token of the page's forms.
func (b *browser) formToken() string {
	b.t.Helper()
	return b.eval(`(document.querySelector("input[name=csrf]") || {value: ""}).value`)
}

// signIn signs in with the form and returns the status of the page it
// leads to (200 on success).
func (b *browser) signIn(email, pw string) int {
	b.t.Helper()
	if status := b.open("/ui/signin"); status != http.StatusOK {
		b.t.Fatalf("sign-in page: status %d", status)
	}
	b.fill("#email", email, "#password", pw)
	return b.click("#signin-submit")
}

// cookies returns the browser's cookies for the server.
func (b *browser) cookies() []*http.Cookie {
	b.t.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.srv.URL + "/ui/"}})
	if err != nil {
		b.t.Fatalf("read cookies: %v", err)
	}
	var out []*http.Cookie
	for _, c := range res.Cookies {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// screenshot saves the page as docs/dashboard/NAME.png when
// GATEHOUSE_SCREENSHOTS=1; otherwise it does nothing.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv(screenshotsEnv) != "1" {
		return
	}
	ctx, cancel := b.stepCtx()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG, less is JPEG
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "docs", "dashboard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// post sends a form to path from outside the browser with the given
// cookies (a forged request, say) and returns the response status.
func (s *server) post(t *testing.T, path string, form map[string]string, cookies []*http.Cookie, header http.Header) int {
	t.Helper()
	vals := url.Values{}
	for k, v := range form {
		vals.Set(k, v)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(vals.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// createUser stores a dashboard user directly in the server's database and
// returns its password.
func (s *server) createUser(t testing.TB, email string, accountID int64, role string) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, s.main.Config.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pw := "password-of-" + email
	hash := cheapHash(t, pw)
	u := &gatehouse.User{Email: email, PasswordHash: hash, AccountID: accountID, Role: role}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return pw
}

// cheapHash is an argon2id hash of pw in the format internal/password
// writes, with a small cost (8 MiB, one pass) so that browser tests that
// sign in many times stay fast; verification reads the cost from the hash,
// so the server checks it through its ordinary path.
func cheapHash(t testing.TB, pw string) string {
	t.Helper()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	key := argon2.IDKey([]byte(pw), salt, 1, 8*1024, 1, 32)
	enc := base64.RawStdEncoding
	hash := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, 8*1024, 1, 1, enc.EncodeToString(salt), enc.EncodeToString(key))
	if ok, err := password.Verify(pw, hash); !ok || err != nil {
		t.Fatalf("the cheap hash does not verify: %v", err)
	}
	return hash
}
