package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// maxTabs bounds how many times tabTo presses Tab looking for an element;
// no dashboard page has more stops than this before its main form.
const maxTabs = 80

// focused describes the element that has the keyboard focus.
type focused struct {
	Tag, ID, Text string
	Matches       bool // it matches the selector tabTo looks for
	Outline       string
	BoxShadow     string
}

// focusState reads which element has the focus, whether it matches sel,
// and how its focus is drawn.
func (b *browser) focusState(sel string) focused {
	b.t.Helper()
	raw := b.eval(fmt.Sprintf(`(() => {
		const e = document.activeElement;
		if (!e || e === document.body) return "{}";
		const s = getComputedStyle(e);
		const outline = s.outlineStyle === "none" || parseFloat(s.outlineWidth) === 0 ? "none" : s.outlineStyle + " " + s.outlineWidth;
		return JSON.stringify({Tag: e.tagName, ID: e.id, Text: (e.innerText || e.value || "").slice(0, 40),
			Matches: e.matches(%q), Outline: outline, BoxShadow: s.boxShadow || "none"});
	})()`, sel))
	var f focused
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		b.t.Fatalf("focus state %q: %v", raw, err)
	}
	return f
}

// tabTo presses Tab until the element sel matches has the focus, and
// fails the test when a stop on the way shows no focus ring (its computed
// outline and box-shadow are both none) or sel is never reached.
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for i := 0; i < maxTabs; i++ {
		b.do(chromedp.KeyEvent(kb.Tab))
		f := b.focusState(sel)
		if f.Tag == "" {
			continue // the focus left the page's elements (the address bar's turn)
		}
		if f.Outline == "none" && f.BoxShadow == "none" {
			b.t.Errorf("Tab stop %d on %s, focusing <%s id=%q> %q: no visible focus (outline and box-shadow none)", i+1, b.eval("location.pathname"), f.Tag, f.ID, f.Text)
		}
		if f.Matches {
			return
		}
	}
	b.t.Fatalf("%s: %s not reached within %d Tab presses", b.eval("location.pathname"), sel, maxTabs)
}

// press presses a key on the focused element and returns the status of
// the page it leads to.
func (b *browser) press(key string) int {
	b.t.Helper()
	return b.navigate(chromedp.KeyEvent(key))
}

// typeKeys types text into the focused element, key by key.
func (b *browser) typeKeys(text string) {
	b.t.Helper()
	b.do(chromedp.KeyEvent(text))
}

func TestDashboardCredentialLifeByKeyboardOnly(t *testing.T) {
	s := startServer(t, app.Config{})
	email, pw, _ := dashboardAccount(t, s, "Keyco")
	b := newBrowser(t, s)
	if status := b.signIn(email, pw); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := b.open("/ui/env/sandbox/credentials"); status != http.StatusOK {
		t.Fatalf("credentials page: status %d", status)
	}

	// Create: Tab to the name, type it, Tab to the button, Enter.
	b.tabTo("#create-name")
	b.typeKeys("keyboard-made")
	b.tabTo("#create-submit")
	if status := b.press(kb.Enter); status != http.StatusOK {
		t.Fatalf("create by Enter: status %d", status)
	}
	id, secret, _ := b.secretOnPage()
	if len(id) != gatehouse.ClientIDLength || secret == "" {
		t.Fatalf("after create the page shows client id %q and a secret of %d characters", id, len(secret))
	}
	if a := requestToken(t, s, "sandbox", id, secret, ""); a.status != http.StatusOK {
		t.Fatalf("the keyboard-made credential got %+v", a)
	}

	// Renew: follow the link to the credential with Enter, Tab to Renew,
	// press Space.
	b.tabTo(`a[href$="/credentials/` + id + `"]`)
	if status := b.press(kb.Enter); status != http.StatusOK || !b.has("#renew") {
		t.Fatalf("credential page by Enter: status %d", status)
	}
	b.tabTo("#renew")
	if status := b.press(" "); status != http.StatusOK {
		t.Fatalf("renew by Space: status %d", status)
	}
	_, renewed, _ := b.secretOnPage()
	if renewed == "" || renewed == secret {
		t.Fatal("renew by Space showed no new secret")
	}
	if a := requestToken(t, s, "sandbox", id, secret, ""); a.status != http.StatusUnauthorized {
		t.Fatalf("the old secret after a keyboard renew got %+v, want 401", a)
	}

	// Revoke: back to the credential, Tab to the revoke link, Enter, Tab
	// to the confirmation, Enter.
	b.tabTo(`a[href$="/credentials/` + id + `"]`)
	if status := b.press(kb.Enter); status != http.StatusOK {
		t.Fatalf("credential page by Enter: status %d", status)
	}
	b.tabTo("#revoke-link")
	if status := b.press(kb.Enter); status != http.StatusOK || !b.has("#confirm-revoke") {
		t.Fatalf("revoke link by Enter: status %d, or no confirmation", status)
	}
	b.tabTo("#confirm-revoke")
	b.press(kb.Enter)
	if flash := b.text(".flash-info"); !strings.Contains(flash, "revoked") {
		t.Fatalf("after revoking by keyboard the page says %q", flash)
	}
	if a := requestToken(t, s, "sandbox", id, renewed, ""); a.status != http.StatusUnauthorized {
		t.Fatalf("the revoked credential got %+v, want 401", a)
	}
}
