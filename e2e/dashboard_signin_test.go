package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

func TestDashboardSignIn(t *testing.T) {
	s := startServer(t, app.Config{})
	b := newBrowser(t, s)

	if status := b.open("/ui/"); status != http.StatusOK || !b.has("#email") {
		t.Fatalf("an anonymous visit to /ui/ shows status %d without the sign-in form; want the form", status)
	}
	b.screenshot("signin")
	if status := b.signIn(operatorEmail, operatorPassword); status != http.StatusOK {
		t.Fatalf("sign-in: status %d, want 200", status)
	}
	if got := b.text("h1"); got != "Overview" {
		t.Fatalf("after sign-in the page is %q, want Overview", got)
	}
	if foot := b.text("footer"); !strings.Contains(foot, operatorEmail) {
		t.Errorf("footer %q does not name the signed-in user", foot)
	}
	b.screenshot("overview")

	for _, c := range b.cookies() {
		if c.Name == "gatehouse_session" && len(c.Value) < 40 {
			t.Errorf("session cookie value %q is too short to be a random token", c.Value)
		}
	}

	t.Run("the pages fit a 320 px wide screen", func(t *testing.T) {
		b.do(chromedp.EmulateViewport(320, 640))
		defer b.do(chromedp.EmulateViewport(1280, 900))
		for _, path := range []string{"/ui/", "/ui/account/security"} {
			b.open(path)
			if w := b.eval("document.documentElement.scrollWidth"); w != "320" {
				t.Errorf("%s is %s px wide at a 320 px viewport, want 320 (no horizontal scrolling)", path, w)
			}
		}
	})

	t.Run("signing out ends the session", func(t *testing.T) {
		b.open("/ui/account/security")
		b.click("form[action='/ui/signout'] button")
		if status := b.open("/ui/account/security"); status != http.StatusOK || !b.has("#email") {
			t.Errorf("after sign-out a page shows status %d without the sign-in form", status)
		}
	})
}

func TestDashboardSecurityHeaders(t *testing.T) {
	s := startServer(t, app.Config{})
	resp, err := http.Get(s.URL + "/ui/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for header, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
		"Referrer-Policy":         "same-origin",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS %q on a plain http server, want none", got)
	}
	for _, c := range resp.Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v, want HttpOnly and Lax", c.Name, c.HttpOnly, c.SameSite)
		}
	}
}
