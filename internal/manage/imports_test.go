package manage

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

const strongOld = "Kq7Vw2mZ9xLp4TtR8yBn3HcJ6sFd1GgE5aUoWiYk"

// TestImportIsAllOrNothingAndIdempotent runs on SQLite and PostgreSQL: a
// dry run and a file with a bad row write nothing (no account either), an
// applied file writes every row with one audit record, a second run changes
// nothing, and a re-hash replaces the imported hash once.
func TestImportIsAllOrNothingAndIdempotent(t *testing.T) {
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresSchema(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			f := newFixtureOn(t, db.dsn(t))
			b, _ := bcrypt.GenerateFromPassword([]byte(strongOld), bcrypt.MinCost)
			rows := []ImportClient{
				{Line: 2, ClientID: "old-1", SecretHash: string(b), Account: "New Co", Environment: "sandbox", Scopes: []string{"a:read"}},
				{Line: 3, ClientID: "old-2", Secret: "weak-but-kept", Account: "New Co", Environment: "production"},
				{Line: 4, ClientID: "old-3", Secret: strongOld, Account: "1", Environment: "sandbox"},
			}
			bad := append(append([]ImportClient{}, rows...), ImportClient{Line: 5, ClientID: "old-4", Secret: "x", SecretHash: "sha256$00", Account: "1", Environment: "sandbox"})

			for name, run := range map[string]func() (*ImportReport, error){
				"a dry run":             func() (*ImportReport, error) { return f.service.Import(f.ctx, apiWriter(), rows, false) },
				"a file with a bad row": func() (*ImportReport, error) { return f.service.Import(f.ctx, apiWriter(), bad, true) },
			} {
				rep, err := run()
				if err != nil || rep.Applied || rep.Created != 3 {
					t.Fatalf("%s: %+v, %v", name, rep, err)
				}
				if _, err := f.store.Client(f.ctx, "old-1"); err == nil {
					t.Fatalf("%s wrote a client", name)
				}
				accounts, _ := f.store.Accounts(f.ctx, gatehouse.AccountFilter{})
				if len(accounts) != 2 {
					t.Fatalf("%s left %d accounts, want the 2 of the fixture", name, len(accounts))
				}
			}
			if rep, _ := f.service.Import(f.ctx, apiWriter(), bad, true); rep.Refused != 1 || rep.Rows[3].Line != 5 {
				t.Fatalf("bad row report = %+v", rep.Rows)
			}
			if _, err := f.service.Import(f.ctx, apiReader(), rows, true); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
				t.Fatalf("a reader imported: %v", err)
			}

			rep, err := f.service.Import(f.ctx, apiWriter(), rows, true)
			if err != nil || !rep.Applied || rep.Created != 3 {
				t.Fatalf("apply = %+v, %v", rep, err)
			}
			if n := len(f.audits(t, "clients")); n != 1 {
				t.Fatalf("%d client.import audit records, want 1", n)
			}
			weak, _ := f.store.Client(f.ctx, "old-2")
			if gatehouse.ImportedHashScheme(weak.Secrets[0].Imported) != "bcrypt" || !weak.VerifySecret("weak-but-kept", startTime) {
				t.Fatalf("a weak plain secret must be stored under bcrypt: %+v", weak.Secrets)
			}
			strong, _ := f.store.Client(f.ctx, "old-3")
			if strong.Secrets[0].Imported != "" || strong.Secrets[0].Hash != gatehouse.HashSecret(strongOld) {
				t.Fatalf("a strong plain secret must be stored natively: %+v", strong.Secrets)
			}

			c, _ := f.store.Client(f.ctx, "old-1")
			for range 2 {
				if err := f.service.RehashImportedSecret(f.ctx, "old-1", c.Secrets[0].ID, string(b), gatehouse.HashSecret(strongOld)); err != nil {
					t.Fatal(err)
				}
			}
			c, _ = f.store.Client(f.ctx, "old-1")
			if c.Secrets[0].Imported != "" || !c.VerifySecret(strongOld, startTime) || len(f.audits(t, "client:old-1")) != 1 {
				t.Fatalf("after the re-hash: %+v", c.Secrets)
			}

			again, err := f.service.Import(f.ctx, apiWriter(), rows, true)
			if err != nil || again.Skipped != 3 || again.Created+again.Updated+again.Refused != 0 {
				t.Fatalf("second run = %+v, %v", again, err)
			}
			rows[0].Scopes = []string{"a:read", "b:read"}
			if upd, _ := f.service.Import(f.ctx, apiWriter(), rows, true); upd.Updated != 1 || upd.Skipped != 2 {
				t.Fatalf("a changed scope = %+v", upd)
			}
			if c, _ = f.store.Client(f.ctx, "old-1"); c.Secrets[0].Imported != "" || len(c.Scopes) != 2 {
				t.Fatalf("an update must keep the re-hashed secret: %+v", c)
			}
		})
	}
}

// TestMustRotateImportAndRotation imports a client without its secret: it
// is created with none in the must-rotate state, a second run skips it, a
// must-rotate row for a client that exists keeps its secrets, and renewing
// (or rotating, with a grace period asked for) issues a secret and clears
// the flag in the same audited write.
func TestMustRotateImportAndRotation(t *testing.T) {
	f := newFixture(t)
	existing := f.client(t, f.acme.ID)
	rows := []ImportClient{
		{Line: 2, ClientID: "hydra-1", MustRotate: true, Account: "Acme", Environment: "sandbox", Scopes: []string{"a:read"}},
		{Line: 3, ClientID: "hydra-2", MustRotate: true, Account: "Acme", Environment: "sandbox"},
		{Line: 4, ClientID: existing.Client.ID, MustRotate: true, Account: "Acme", Environment: "sandbox", Name: "app"},
	}
	rep, err := f.service.Import(f.ctx, apiWriter(), rows, true)
	if err != nil || !rep.Applied || rep.Created != 2 || rep.Skipped != 1 {
		t.Fatalf("import = %+v, %v", rep, err)
	}
	for _, id := range []string{"hydra-1", "hydra-2"} {
		c, err := f.store.Client(f.ctx, id)
		if err != nil || !c.MustRotate || len(c.Secrets) != 0 {
			t.Fatalf("%s = %+v, %v; want must-rotate with no secret", id, c, err)
		}
	}
	kept, _ := f.store.Client(f.ctx, existing.Client.ID)
	if kept.MustRotate || !kept.VerifySecret(existing.Secret, startTime) {
		t.Fatalf("a must-rotate row changed an existing client: %+v", kept)
	}
	if again, err := f.service.Import(f.ctx, apiWriter(), rows, true); err != nil || again.Skipped != 3 || again.Created+again.Updated != 0 {
		t.Fatalf("second run = %+v, %v", again, err)
	}

	t.Run("a must-rotate row with a credential is refused", func(t *testing.T) {
		bad := []ImportClient{{Line: 2, ClientID: "hydra-3", MustRotate: true, Secret: strongOld, Account: "Acme", Environment: "sandbox"}}
		rep, err := f.service.Import(f.ctx, apiWriter(), bad, true)
		if err != nil || rep.Applied || rep.Refused != 1 || !strings.Contains(rep.Rows[0].Reason, "must_rotate") ||
			strings.Contains(rep.Rows[0].Reason, strongOld) {
			t.Fatalf("report = %+v, %v", rep, err)
		}
	})

	for _, tc := range []struct {
		id     string
		rotate func(id string) (*ClientWithSecret, error)
	}{
		{"hydra-1", func(id string) (*ClientWithSecret, error) { return f.service.RenewSecret(f.ctx, apiWriter(), id) }},
		{"hydra-2", func(id string) (*ClientWithSecret, error) {
			return f.service.RotateSecret(f.ctx, apiWriter(), id, time.Hour)
		}},
	} {
		got, err := tc.rotate(tc.id)
		if err != nil || got.Secret == "" || got.Client.MustRotate || len(got.Client.Secrets) != 1 {
			t.Fatalf("rotating %s = %+v, %v", tc.id, got, err)
		}
		c, _ := f.store.Client(f.ctx, tc.id)
		if c.MustRotate || !c.VerifySecret(got.Secret, startTime) || len(c.Secrets) != 1 || !c.Secrets[0].ExpiresAt.IsZero() {
			t.Fatalf("%s after the rotation = %+v", tc.id, c)
		}
		events := f.audits(t, "client:"+tc.id)
		if len(events) == 0 || !strings.Contains(events[len(events)-1].Detail, "must-rotate cleared") {
			t.Fatalf("%s: audit = %+v; want the rotation recorded with the flag cleared", tc.id, events)
		}
	}
}
