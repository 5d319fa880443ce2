package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// TestDashboardFlagsImportedCredentials imports, through the admin API, a
// client with another server's API key, one under a bcrypt hash and one
// without its secret (must rotate), signs in as a developer of their
// account, finds each badge in the credentials list and its nudge on the
// credential's page, and renews the must-rotate client from its page: the
// new secret works at the token endpoint and the flag is gone.
func TestDashboardFlagsImportedCredentials(t *testing.T) {
	s := startServer(t, app.Config{})
	ctx := context.Background()
	email, pw, account := dashboardAccount(t, s, "Importers")
	const legacyKey = "da012c0f-b1a7-4f86-8279-3cd69b9185e2"
	file := "client_id,secret_hash,api_key,account,environment,scopes,name,must_rotate\n" +
		fmt.Sprintf(",,%s,%d,sandbox,wallet:read,Wallet app,\n", legacyKey, account) +
		fmt.Sprintf("billing-svc,%s,,%d,sandbox,ledger:read,Billing,\n", mustBcrypt(t, importedSecret), account) +
		fmt.Sprintf("hydra-svc,,,%d,sandbox,ledger:read,Hydra app,true\n", account)
	rep := importFile(t, s, file, true)
	if !rep.Applied || rep.Created != 3 {
		t.Fatalf("import = %+v", rep)
	}
	legacyID := rep.Rows[0].ClientID

	b := newBrowser(t, s)
	b.withoutJavaScript() // renew is a plain form
	if status := b.signIn(email, pw); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := b.open("/ui/env/sandbox/credentials"); status != http.StatusOK {
		t.Fatalf("credentials page: status %d", status)
	}
	b.screenshot("credentials-imported")
	for id, flag := range map[string]string{legacyID: "legacy-key", "billing-svc": "imported-hash", "hydra-svc": "must-rotate"} {
		sel := fmt.Sprintf(`tr[data-client=%q] [data-flag=%q]`, id, flag)
		if !b.has(sel) {
			t.Errorf("the credentials list shows no %s badge on %s", flag, id)
		}
	}
	if n := b.eval(`document.querySelectorAll("#credentials [data-flag]").length`); n != "3" {
		t.Errorf("%s badges in the list, want 3 (one per imported credential)", n)
	}

	t.Run("the legacy key's page says to rotate it", func(t *testing.T) {
		b := b.in(t)
		b.open("/ui/env/sandbox/credentials/" + legacyID)
		if got := b.text(`#flags [data-nudge="legacy-key"]`); !strings.Contains(got, "Rotate to issue a Gatehouse secret") {
			t.Fatalf("legacy-key nudge: %q", got)
		}
	})

	base := "/ui/env/sandbox/credentials/hydra-svc"
	b.open(base)
	b.screenshot("credential-must-rotate")
	if got := b.text(`#flags [data-nudge="must-rotate"]`); !strings.Contains(got, "Imported without its secret: rotate to issue one") {
		t.Fatalf("must-rotate nudge: %q", got)
	}
	if !b.has(`h1 [data-flag="must-rotate"]`) || !strings.Contains(b.text("#secrets"), "No live secret") || b.has("#test-token") {
		t.Fatal("the must-rotate credential's page lacks its badge, says it has a secret, or offers a test token")
	}
	if a := requestToken(t, s, "sandbox", "hydra-svc", importedSecret, ""); a.status != http.StatusUnauthorized || a.err != "invalid_client" {
		t.Fatalf("before the renewal: %+v", a)
	}

	if status := b.click("#renew-flagged"); status != http.StatusOK {
		t.Fatalf("renew: status %d", status)
	}
	id, secret, _ := b.secretOnPage()
	if id != "hydra-svc" || secret == "" {
		t.Fatalf("the renewal shows client %q and a secret of %d characters", id, len(secret))
	}
	if a := requestToken(t, s, "sandbox", "hydra-svc", secret, ""); a.status != http.StatusOK || a.token == "" {
		t.Fatalf("the new secret at the token endpoint: %+v", a)
	}
	b.open(base)
	if b.has("#flags") || b.has(`[data-flag="must-rotate"]`) || !b.has("#test-token") {
		t.Fatal("the page still flags the renewed credential must-rotate")
	}
	if c, err := s.Admin.Client(ctx, "hydra-svc"); err != nil || c.MustRotate || len(c.Secrets) != 1 {
		t.Fatalf("admin API after the renewal: %+v, %v", c, err)
	}
}
