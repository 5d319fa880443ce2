package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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

// TestDashboardKeyboardSignIn signs in with the keyboard alone (the
// email field has focus on arrival; Tab, typing and Enter do the rest),
// then checks that the first Tab on a page reaches the skip link with a
// visible focus outline, and that the link moves focus to the content.
func TestDashboardKeyboardSignIn(t *testing.T) {
	s := startServer(t, app.Config{})
	b := newBrowser(t, s)
	b.open("/ui/signin")
	if got := b.eval("document.activeElement.id"); got != "email" {
		t.Fatalf("on arrival %q has focus, want the email field", got)
	}
	if style := b.eval("getComputedStyle(document.activeElement).outlineStyle"); style == "none" {
		t.Error("the focused email field has no visible outline")
	}
	b.do(chromedp.KeyEvent(operatorEmail + kb.Tab + operatorPassword))
	if status := b.navigate(chromedp.KeyEvent(kb.Enter)); status != http.StatusOK || b.text("h1") != "Overview" {
		t.Fatalf("Enter in the password field: status %d, page %q; want the overview", status, b.text("h1"))
	}
	b.do(chromedp.KeyEvent(kb.Tab))
	if got := b.eval("document.activeElement.className"); got != "skip" {
		t.Fatalf("the first Tab focuses %q, want the skip link", got)
	}
	if style := b.eval("getComputedStyle(document.activeElement).outlineStyle"); style == "none" {
		t.Error("the focused skip link has no visible outline")
	}
	b.do(chromedp.KeyEvent(kb.Enter))
	if got := b.eval("document.activeElement.id"); got != "main" {
		t.Errorf("after Enter on the skip link %q has focus, want the main content", got)
	}
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
