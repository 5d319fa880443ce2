package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

func TestDashboardOperatorPages(t *testing.T) {
	s := startServer(t, behindProxy())
	ctx := context.Background()
	email, pw, account := dashboardAccount(t, s, "Globex")
	c := s.createClient(t, wire.CreateClientRequest{Name: "globex-feed", AccountID: account})

	// Wrong secrets from one address until it is banned.
	const attacker = "198.51.100.77"
	for i := range 25 {
		requestToken(t, s, "sandbox", c.ClientID, fmt.Sprintf("wrong-%02d", i), attacker)
	}
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, attacker); a.status != http.StatusTooManyRequests {
		t.Fatalf("the attacker is not banned: %+v", a)
	}

	b := newBrowser(t, s)
	if status := b.signIn(operatorEmail, operatorPassword); status != http.StatusOK {
		t.Fatalf("operator sign-in: status %d", status)
	}

	t.Run("accounts and every account's credentials", func(t *testing.T) {
		b := b.in(t)
		if status := b.open("/ui/operator"); status != http.StatusOK || !strings.Contains(b.text("#accounts"), "Globex") {
			t.Fatalf("accounts page: status %d without Globex", status)
		}
		b.screenshot("operator-accounts")
		b.open(fmt.Sprintf("/ui/operator/accounts/%d", account))
		if !strings.Contains(b.text("#account-credentials"), c.ClientID) {
			t.Fatal("the account page does not list the account's credential")
		}
		b.screenshot("operator-account")

		b.open("/ui/operator")
		b.fill("#account-name", "Initech")
		b.click("#create-account-submit")
		if h1 := b.text("h1"); !strings.Contains(h1, "Initech") || !b.has("#account-team") {
			t.Fatalf("creating an account leads to %q without a link to its team page", h1)
		}
	})

	t.Run("environment settings are shown and saved", func(t *testing.T) {
		b := b.in(t)
		b.open("/ui/operator/environments")
		b.screenshot("operator-environments")
		b.fill("#lifetime-sandbox", "10m")
		b.click("#env-sandbox + form button[type=submit]")
		if flash := b.text(".flash-info"); !strings.Contains(flash, "sandbox") {
			t.Fatalf("saving settings says %q", flash)
		}
		env, err := s.Admin.Environment(ctx, "sandbox")
		if err != nil {
			t.Fatal(err)
		}
		if env.TokenSettings.LifetimeSeconds != 600 {
			t.Fatalf("sandbox token lifetime %d s after saving 10m", env.TokenSettings.LifetimeSeconds)
		}
	})

	t.Run("signing keys are listed and a rotation starts", func(t *testing.T) {
		b := b.in(t)
		b.open("/ui/operator/keys")
		before := b.eval(`document.querySelectorAll("#keys-sandbox ~ div table tbody tr").length`)
		b.click("#rotate-sandbox")
		if flash := b.text(".flash-info"); !strings.Contains(flash, "published") {
			t.Fatalf("rotating says %q", flash)
		}
		after := b.eval(`document.querySelectorAll("#keys-sandbox ~ div table tbody tr").length`)
		if before == after || !strings.Contains(b.text("main"), "next") {
			t.Fatalf("sandbox keys %s before and %s after the rotation; want a next key more", before, after)
		}
		b.screenshot("operator-keys")
	})

	t.Run("a ban is listed and lifted", func(t *testing.T) {
		b := b.in(t)
		b.open("/ui/operator/bans")
		if !strings.Contains(b.text("#bans"), attacker) {
			t.Fatal("the bans page does not list the banned address")
		}
		b.screenshot("operator-bans")
		b.click(fmt.Sprintf("tr[data-subject=%q] button", attacker))
		if flash := b.text(".flash-info"); !strings.Contains(flash, attacker) || !b.has("#no-bans") {
			t.Fatalf("after lifting, the page says %q", flash)
		}
		if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, attacker); a.status != http.StatusOK {
			t.Fatalf("after the ban was lifted the address got %+v", a)
		}
		lifted := auditEvents(t, s, adminclient.AuditQuery{Action: gatehouse.ActionIPBanLifted}, 1)
		if lifted[0].Actor != "user:"+operatorEmail || lifted[0].Object != "ip:"+attacker {
			t.Fatalf("the lift is audited as %+v", lifted[0])
		}
	})

	t.Run("the operator pages fit a 320 px wide screen", func(t *testing.T) {
		b := b.in(t)
		b.do(chromedp.EmulateViewport(320, 640))
		defer b.do(chromedp.EmulateViewport(1280, 900))
		for _, path := range []string{"/ui/operator", "/ui/operator/environments", "/ui/operator/keys", "/ui/operator/bans"} {
			b.open(path)
			if w := b.eval("document.documentElement.scrollWidth"); w != "320" {
				t.Errorf("%s is %s px wide at a 320 px viewport", path, w)
			}
		}
	})

	t.Run("a user who is not an operator gets 404 from the operator pages", func(t *testing.T) {
		u := newBrowser(t, s)
		u.signIn(email, pw)
		for _, path := range []string{"/ui/operator", "/ui/operator/bans", "/ui/operator/keys"} {
			if status := u.open(path); status != http.StatusNotFound {
				t.Errorf("%s answers a developer with %d, want 404", path, status)
			}
		}
		if u.has("a[href='/ui/operator']") {
			t.Error("a developer sees the Operator link")
		}
	})
}
