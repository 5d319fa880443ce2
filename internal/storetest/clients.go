package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// fullClient returns a client with every field set, including token
// overrides set to zero values (which are not the same as no override).
func fullClient(account int64) *gatehouse.Client {
	return &gatehouse.Client{
		ID:          "0123456789ABCDEFghij",
		Environment: gatehouse.EnvSandbox,
		AccountID:   account,
		Name:        "Ledger sync (nightly)",
		Scopes:      []string{"ledger:read", "ledger:write", "collection:read"},
		Audiences:   []string{"https://ledger.example.com", "collection"},
		AllowedCIDRs: []netip.Prefix{
			netip.MustParsePrefix("203.0.113.0/24"),
			netip.MustParsePrefix("198.51.100.7/32"),
			netip.MustParsePrefix("2001:db8::/32"),
		},
		Tokens: gatehouse.TokenOverrides{
			Format:          ptr(gatehouse.TokenFormatOpaque),
			Lifetime:        ptr(90 * 24 * time.Hour),
			Reuse:           ptr(false),
			DefaultAudience: ptr(""),
		},
		Status: gatehouse.ClientActive,
		Secrets: []gatehouse.Secret{
			{Hash: gatehouse.HashSecret("old secret"), CreatedAt: at(0), ExpiresAt: at(26*time.Hour + 5*time.Microsecond)},
			{Hash: gatehouse.HashSecret("new secret"), CreatedAt: at(2*time.Hour + time.Microsecond)},
		},
		CreatedAt: at(0),
		UpdatedAt: at(2*time.Hour + time.Microsecond),
	}
}

func testClients(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("a created client reads back with every field", func(t *testing.T) {
		f := newFixture(t, newStore)
		want := fullClient(f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, want))
		got, err := f.store.Client(ctx, want.ID)
		must(t, "Client", err)
		sameFields(t, "client", got, want)
		if !got.VerifySecret("new secret", at(0)) || !got.VerifySecret("old secret", at(time.Hour)) {
			t.Errorf("the secrets read back do not verify")
		}
		if got.VerifySecret("old secret", at(27*time.Hour)) {
			t.Errorf("the expired secret read back still verifies")
		}
	})

	t.Run("CreateClient sets the ids of the secrets in order", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := fullClient(f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		if len(c.Secrets) != 2 || c.Secrets[0].ID <= 0 || c.Secrets[1].ID <= c.Secrets[0].ID {
			t.Fatalf("secrets after CreateClient: %+v; want increasing positive ids", c.Secrets)
		}
		if c.Secrets[0].Hash != gatehouse.HashSecret("old secret") {
			t.Errorf("CreateClient reordered the secrets")
		}
	})

	t.Run("token overrides that are not set read back as nil", func(t *testing.T) {
		f := newFixture(t, newStore)
		want := newClient("plain", gatehouse.EnvSandbox, f.account.ID)
		want.Scopes = nil
		must(t, "CreateClient", f.store.CreateClient(ctx, want))
		got, err := f.store.Client(ctx, want.ID)
		must(t, "Client", err)
		sameFields(t, "client", got, want)
		if o := got.Tokens; o.Format != nil || o.Lifetime != nil || o.Reuse != nil || o.DefaultAudience != nil {
			t.Errorf("Tokens read back with overrides: %v", diffFields(o, gatehouse.TokenOverrides{}))
		}
		if len(got.Scopes) != 0 || len(got.Audiences) != 0 || len(got.AllowedCIDRs) != 0 {
			t.Errorf("empty lists read back as %v %v %v", got.Scopes, got.Audiences, got.AllowedCIDRs)
		}
	})

	t.Run("an imported secret hash reads back and is replaced by a native hash", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("imported", gatehouse.EnvSandbox, f.account.ID)
		const imported = "sha256$salt$8a3f2bff6b7ec8e0d2c25d8c3b3aacbf7fc0ac0e5e15e4c4d1dcd2e8c3a1a8c2"
		c.Secrets = []gatehouse.Secret{{Imported: imported, CreatedAt: at(0)}}
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if len(got.Secrets) != 1 || got.Secrets[0].Imported != imported || got.Secrets[0].Hash != ([32]byte{}) {
			t.Fatalf("secrets read back = %+v", got.Secrets)
		}
		got.Secrets[0].Imported, got.Secrets[0].Hash = "", gatehouse.HashSecret("re-hashed")
		must(t, "UpdateClient", f.store.UpdateClient(ctx, got))
		again, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if again.Secrets[0].Imported != "" || !again.VerifySecret("re-hashed", at(0)) || again.Secrets[0].ID != got.Secrets[0].ID {
			t.Fatalf("after the re-hash: %+v", again.Secrets)
		}
	})

	t.Run("a client without secrets reads back without secrets", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("nosecret", gatehouse.EnvSandbox, f.account.ID)
		c.Secrets = nil
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if len(got.Secrets) != 0 {
			t.Errorf("got %d secrets, want none", len(got.Secrets))
		}
	})

	t.Run("a must-rotate client reads back must-rotate, and an update clears the flag", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("mustrotate", gatehouse.EnvSandbox, f.account.ID)
		c.Secrets, c.MustRotate = nil, true
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		sameFields(t, "client", got, c)
		if !got.MustRotate {
			t.Fatalf("MustRotate read back false")
		}
		list, err := f.store.Clients(ctx, gatehouse.ClientFilter{Environment: gatehouse.EnvSandbox})
		must(t, "Clients", err)
		if len(list) != 1 || !list[0].MustRotate {
			t.Fatalf("Clients = %+v; want the one must-rotate client", list)
		}
		got.MustRotate = false
		got.Secrets = []gatehouse.Secret{{Hash: gatehouse.HashSecret("rotated"), CreatedAt: at(time.Hour)}}
		must(t, "UpdateClient", f.store.UpdateClient(ctx, got))
		again, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if again.MustRotate || !again.VerifySecret("rotated", at(time.Hour)) {
			t.Fatalf("after the rotation: must_rotate %v, secrets %+v", again.MustRotate, again.Secrets)
		}
		again.MustRotate = true
		must(t, "UpdateClient setting the flag", f.store.UpdateClient(ctx, again))
		if back, err := f.store.Client(ctx, c.ID); err != nil || !back.MustRotate {
			t.Fatalf("UpdateClient did not store MustRotate true: %v %v", back, err)
		}
	})

	t.Run("creating a client whose id is taken is a conflict", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "CreateClient", f.store.CreateClient(ctx, newClient("dup", gatehouse.EnvSandbox, f.account.ID)))
		err := f.store.CreateClient(ctx, newClient("dup", gatehouse.EnvProduction, f.account.ID))
		wantCode(t, "second CreateClient", err, gatehouse.ECONFLICT)
		got, err := f.store.Client(ctx, "dup")
		must(t, "Client", err)
		if got.Environment != gatehouse.EnvSandbox || len(got.Secrets) != 1 {
			t.Errorf("the failed create changed the client: %+v", got)
		}
	})

	t.Run("a client of an unknown environment or account is not found and not stored", func(t *testing.T) {
		f := newFixture(t, newStore)
		err := f.store.CreateClient(ctx, newClient("c1", "nowhere", f.account.ID))
		wantCode(t, "CreateClient in an unknown environment", err, gatehouse.ENOTFOUND)
		err = f.store.CreateClient(ctx, newClient("c1", gatehouse.EnvSandbox, f.account.ID+1000))
		wantCode(t, "CreateClient of an unknown account", err, gatehouse.ENOTFOUND)
		_, err = f.store.Client(ctx, "c1")
		wantCode(t, "Client", err, gatehouse.ENOTFOUND)
	})

	t.Run("an invalid client is rejected", func(t *testing.T) {
		f := newFixture(t, newStore)
		cases := map[string]func(c *gatehouse.Client){
			"no id":          func(c *gatehouse.Client) { c.ID = "" },
			"no name":        func(c *gatehouse.Client) { c.Name = "" },
			"no account":     func(c *gatehouse.Client) { c.AccountID = 0 },
			"bad scope":      func(c *gatehouse.Client) { c.Scopes = []string{"a b"} },
			"bad audience":   func(c *gatehouse.Client) { c.Audiences = []string{""} },
			"bad status":     func(c *gatehouse.Client) { c.Status = "paused" },
			"three secrets":  func(c *gatehouse.Client) { c.Secrets = append(c.Secrets, c.Secrets[0], c.Secrets[0]) },
			"bad env name":   func(c *gatehouse.Client) { c.Environment = "../admin" },
			"repeated id":    func(c *gatehouse.Client) { c.Secrets = []gatehouse.Secret{{ID: 7}, {ID: 7}} },
			"negative id":    func(c *gatehouse.Client) { c.Secrets = []gatehouse.Secret{{ID: -1}} },
			"overlong scope": func(c *gatehouse.Client) { c.Scopes = []string{strings.Repeat("a", 129)} },
		}
		for name, spoil := range cases {
			c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
			spoil(c)
			wantCode(t, "CreateClient with "+name, f.store.CreateClient(ctx, c), gatehouse.EINVALID)
		}
		must(t, "CreateClient", f.store.CreateClient(ctx, newClient("c1", gatehouse.EnvSandbox, f.account.ID)))
		for name, spoil := range cases {
			c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
			spoil(c)
			if c.ID == "" {
				continue
			}
			wantCode(t, "UpdateClient with "+name, f.store.UpdateClient(ctx, c), gatehouse.EINVALID)
		}
	})

	t.Run("an unknown client is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		_, err := f.store.Client(ctx, "nobody")
		wantCode(t, "Client", err, gatehouse.ENOTFOUND)
	})

	t.Run("clients filter by environment and account and page by id", func(t *testing.T) {
		f := newFixture(t, newStore)
		other := &gatehouse.Account{Name: "Other"}
		must(t, "CreateAccount", f.store.CreateAccount(ctx, other))
		create := []struct {
			id, env string
			account int64
		}{
			{"c06", gatehouse.EnvSandbox, f.account.ID},
			{"c01", gatehouse.EnvSandbox, f.account.ID},
			{"c03", gatehouse.EnvProduction, f.account.ID},
			{"c02", gatehouse.EnvSandbox, other.ID},
			{"C05", gatehouse.EnvProduction, other.ID},
			{"c04", gatehouse.EnvSandbox, f.account.ID},
		}
		for _, c := range create {
			must(t, "CreateClient "+c.id, f.store.CreateClient(ctx, newClient(c.id, c.env, c.account)))
		}
		cases := []struct {
			name   string
			filter gatehouse.ClientFilter
			want   []string
		}{
			{"all, in byte order", gatehouse.ClientFilter{}, []string{"C05", "c01", "c02", "c03", "c04", "c06"}},
			{"sandbox", gatehouse.ClientFilter{Environment: gatehouse.EnvSandbox}, []string{"c01", "c02", "c04", "c06"}},
			{"first account", gatehouse.ClientFilter{AccountID: f.account.ID}, []string{"c01", "c03", "c04", "c06"}},
			{"sandbox of the first account", gatehouse.ClientFilter{Environment: gatehouse.EnvSandbox, AccountID: f.account.ID},
				[]string{"c01", "c04", "c06"}},
			{"sandbox after c02", gatehouse.ClientFilter{Environment: gatehouse.EnvSandbox, AfterID: "c02"}, []string{"c04", "c06"}},
			{"two after C05", gatehouse.ClientFilter{AfterID: "C05", Limit: 2}, []string{"c01", "c02"}},
			{"an unknown environment", gatehouse.ClientFilter{Environment: "nowhere"}, nil},
			{"after the last", gatehouse.ClientFilter{AfterID: "c06"}, nil},
		}
		for _, tc := range cases {
			list, err := f.store.Clients(ctx, tc.filter)
			must(t, "Clients "+tc.name, err)
			var ids []string
			for _, c := range list {
				ids = append(ids, c.ID)
				if len(c.Secrets) != 1 || c.Secrets[0].Hash != gatehouse.HashSecret("secret of "+c.ID) {
					t.Errorf("Clients %s: client %s came with secrets %+v", tc.name, c.ID, c.Secrets)
				}
			}
			sameFields(t, "Clients "+tc.name, ids, tc.want)
		}
	})

	t.Run("a listed client has every field", func(t *testing.T) {
		f := newFixture(t, newStore)
		want := fullClient(f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, want))
		list, err := f.store.Clients(ctx, gatehouse.ClientFilter{})
		must(t, "Clients", err)
		if len(list) != 1 {
			t.Fatalf("Clients: got %d, want 1", len(list))
		}
		sameFields(t, "listed client", list[0], want)
	})

	t.Run("ClientIDs names every client once and stops at the callback's error", func(t *testing.T) {
		f := newFixture(t, newStore)
		want := map[string]bool{}
		for i := range 25 {
			id := fmt.Sprintf("ids%02d", i)
			must(t, "CreateClient", f.store.CreateClient(ctx, newClient(id, gatehouse.EnvSandbox, f.account.ID)))
			want[id] = true
		}
		got := map[string]int{}
		must(t, "ClientIDs", f.store.ClientIDs(ctx, func(id string) error { got[id]++; return nil }))
		if len(got) != len(want) {
			t.Errorf("ClientIDs named %d ids, want %d", len(got), len(want))
		}
		for id, n := range got {
			if !want[id] || n != 1 {
				t.Errorf("ClientIDs named %s %d times", id, n)
			}
		}
		stop := errors.New("enough")
		calls := 0
		err := f.store.ClientIDs(ctx, func(string) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("ClientIDs after the callback failed: %v after %d calls, want the callback's error after 1", err, calls)
		}
	})

	t.Run("a list without a limit returns 100 clients", func(t *testing.T) {
		f := newFixture(t, newStore)
		for i := range 101 {
			c := newClient(fmt.Sprintf("c%03d", i), gatehouse.EnvSandbox, f.account.ID)
			must(t, "CreateClient", f.store.CreateClient(ctx, c))
		}
		list, err := f.store.Clients(ctx, gatehouse.ClientFilter{})
		must(t, "Clients", err)
		if len(list) != 100 || list[99].ID != "c099" {
			t.Errorf("got %d clients, want the first 100", len(list))
		}
	})

}

func testClientUpdates(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("UpdateClient stores every field but the creation time", func(t *testing.T) {
		f := newFixture(t, newStore)
		other := &gatehouse.Account{Name: "Other"}
		must(t, "CreateAccount", f.store.CreateAccount(ctx, other))
		c := fullClient(f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))

		want := &gatehouse.Client{
			ID:           c.ID,
			Environment:  c.Environment,
			AccountID:    other.ID,
			Name:         "renamed",
			Scopes:       []string{"wallet:pay"},
			AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
			Tokens:       gatehouse.TokenOverrides{Lifetime: ptr(time.Hour), Reuse: ptr(true)},
			Status:       gatehouse.ClientRevoked,
			Secrets:      c.Secrets[1:],
			CreatedAt:    at(time.Hour), // ignored
			UpdatedAt:    at(3*time.Hour + 9*time.Microsecond),
			Version:      c.Version,
		}
		must(t, "UpdateClient", f.store.UpdateClient(ctx, want))
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		want.CreatedAt = c.CreatedAt
		sameFields(t, "client", got, want)

		c.UpdatedAt = at(4 * time.Hour)
		c.Secrets, c.Version = got.Secrets, got.Version
		must(t, "UpdateClient back", f.store.UpdateClient(ctx, c))
		got, err = f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		sameFields(t, "client", got, c)
	})

	t.Run("UpdateClient replaces the secrets", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("rotating", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		first := c.Secrets[0]

		// Rotate: the old secret gets an expiry, a new one is added.
		old := first
		old.ExpiresAt = at(24*time.Hour + 3*time.Microsecond)
		c.Secrets = []gatehouse.Secret{{Hash: gatehouse.HashSecret("fresh"), CreatedAt: at(time.Hour)}, old}
		must(t, "UpdateClient", f.store.UpdateClient(ctx, c))
		if c.Secrets[1].ID != first.ID || c.Secrets[0].ID <= first.ID {
			t.Fatalf("after UpdateClient the secrets are %+v; want the old id kept and a new, larger id", c.Secrets)
		}
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		// Secrets read back oldest (smallest id) first.
		sameFields(t, "secrets", got.Secrets, []gatehouse.Secret{old, c.Secrets[0]})

		// The grace period ends: only the new secret stays.
		fresh := c.Secrets[0]
		c.Secrets = []gatehouse.Secret{fresh}
		must(t, "UpdateClient dropping the old secret", f.store.UpdateClient(ctx, c))
		got, err = f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		sameFields(t, "secrets", got.Secrets, []gatehouse.Secret{fresh})

		// Revoked for good: no secrets at all.
		c.Secrets = nil
		must(t, "UpdateClient dropping every secret", f.store.UpdateClient(ctx, c))
		got, err = f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if len(got.Secrets) != 0 {
			t.Errorf("got secrets %+v, want none", got.Secrets)
		}
	})

	t.Run("UpdateClient keeping a secret that is gone is a conflict and changes nothing", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("a", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		b := newClient("b", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, b))
		before, err := f.store.Client(ctx, "a")
		must(t, "Client", err)

		for name, stale := range map[string]gatehouse.Secret{
			"a deleted secret":          {ID: c.Secrets[0].ID + 1000, Hash: gatehouse.HashSecret("x"), CreatedAt: at(0)},
			"another client's secret":   b.Secrets[0],
			"a secret beside a new one": {ID: c.Secrets[0].ID + 1000, CreatedAt: at(0)},
		} {
			upd := newClient("a", gatehouse.EnvSandbox, f.account.ID)
			upd.Name = "changed"
			upd.Secrets = []gatehouse.Secret{stale}
			if name == "a secret beside a new one" {
				upd.Secrets = append(upd.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret("y"), CreatedAt: at(0)})
			}
			passed := append([]gatehouse.Secret(nil), upd.Secrets...)
			wantCode(t, "UpdateClient with "+name, f.store.UpdateClient(ctx, upd), gatehouse.ECONFLICT)
			sameFields(t, "the caller's secrets after a failed UpdateClient", upd.Secrets, passed)
		}
		after, err := f.store.Client(ctx, "a")
		must(t, "Client", err)
		sameFields(t, "client after failed updates", after, before)
		other, err := f.store.Client(ctx, "b")
		must(t, "Client", err)
		sameFields(t, "the other client", other, b)
	})

	t.Run("updating an unknown client is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		err := f.store.UpdateClient(ctx, newClient("nobody", gatehouse.EnvSandbox, f.account.ID))
		wantCode(t, "UpdateClient", err, gatehouse.ENOTFOUND)
	})

	t.Run("updating a client to an unknown account is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		c.AccountID += 1000
		wantCode(t, "UpdateClient", f.store.UpdateClient(ctx, c), gatehouse.ENOTFOUND)
	})

	t.Run("a client cannot move to another environment", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		c.Environment = gatehouse.EnvProduction
		wantCode(t, "UpdateClient", f.store.UpdateClient(ctx, c), gatehouse.EINVALID)
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if got.Environment != gatehouse.EnvSandbox {
			t.Errorf("the client moved to %s", got.Environment)
		}
	})
}
