package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// watchConsole records every error and warning the page writes to the
// console (a Content Security Policy violation is one) until the test
// ends, and returns a function that reads them.
func (b *browser) watchConsole() func() []string {
	b.t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	b.t.Cleanup(cancel)
	messages := chromedp.Console(ctx)
	var mu sync.Mutex
	var got []string
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				mu.Lock()
				got = append(got, m.String()+" ("+m.URL+")")
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

// grantClipboard lets the server's pages read and write the clipboard.
func (b *browser) grantClipboard() {
	b.t.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	id := chromedp.FromContext(b.ctx).BrowserContextID
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission:       &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:          cdpbrowser.PermissionSettingGranted,
			Origin:           b.srv.URL,
			BrowserContextID: id,
		})
		if err != nil {
			b.t.Fatalf("grant %s: %v", name, err)
		}
	}
}

// await evaluates a JavaScript expression whose value is a promise and
// returns what it resolves to, as text.
func (b *browser) await(expr string) string {
	b.t.Helper()
	ctx, cancel := b.stepCtx()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return fmt.Sprint(v)
}

// waitFor evaluates a JavaScript expression until it is true, and fails
// the test when it is not within actionTimeout.
func (b *browser) waitFor(expr, what string) {
	b.t.Helper()
	deadline := time.Now().Add(actionTimeout)
	for b.await(`Promise.resolve(`+expr+`)`) != "true" {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not within %s", what, actionTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDashboardCopyButtonPutsTheSecretOnTheClipboard(t *testing.T) {
	s := startServer(t, app.Config{})
	email, pw, _ := dashboardAccount(t, s, "Copyco")
	b := newBrowser(t, s)
	problems := b.watchConsole()
	b.grantClipboard()
	if status := b.signIn(email, pw); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := b.open("/ui/env/sandbox/credentials"); status != http.StatusOK {
		t.Fatalf("credentials page: status %d", status)
	}
	b.fill("#create-name", "copy-me")
	if status := b.click("#create-submit"); status != http.StatusOK {
		t.Fatalf("create: status %d", status)
	}
	_, secret, apiKey := b.secretOnPage()
	if secret == "" || apiKey == "" {
		t.Fatal("the page shows no secret or API key")
	}
	if n := b.eval(`document.querySelectorAll("script:not([src])").length`); n != "0" {
		t.Errorf("the page has %s inline scripts", n)
	}
	if b.eval(`typeof navigator.clipboard`) != "object" {
		t.Fatal("the page has no navigator.clipboard")
	}

	// Something else is on the clipboard first, so that a button that
	// does nothing cannot pass.
	b.await(`navigator.clipboard.writeText("not the secret").then(() => true)`)
	b.do(chromedp.Click(chromedp.CSS(`button[data-copy="#new-secret"]`)))
	b.waitFor(`document.querySelector('button[data-copy="#new-secret"]').textContent === "Copied"`, "the secret's copy button says Copied")
	if got := b.await(`navigator.clipboard.readText()`); got != secret {
		t.Errorf("the clipboard holds %q after copying the secret", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`button[data-copy="#new-api-key"]`)))
	b.waitFor(`navigator.clipboard.readText().then(t => t === `+jsString(apiKey)+`)`, "the API key on the clipboard")
	b.waitFor(`document.querySelector('button[data-copy="#new-secret"]').textContent === "Copy"`, "the secret's button says Copy again")

	if p := problems(); len(p) > 0 {
		t.Errorf("the console reports:\n%s", strings.Join(p, "\n"))
	}

	// The watch sees a CSP violation: an inline script the page adds is
	// refused and reported.
	b.eval(`(() => { const s = document.createElement("script"); s.textContent = "window.inlineRan = true"; document.body.append(s); return true })()`)
	if b.eval(`window.inlineRan === true`) == "true" {
		t.Error("an inline script ran: the page's Content Security Policy allows inline scripts")
	}
	deadline := time.Now().Add(actionTimeout)
	for !strings.Contains(strings.Join(problems(), "\n"), "Content Security Policy") {
		if time.Now().After(deadline) {
			t.Fatalf("a refused inline script was not reported on the console; got %q", problems())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
