package manage

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestAuthorizeMatrix(t *testing.T) {
	const own, other = 1, 2
	member := func(role string) *gatehouse.Principal {
		return &gatehouse.Principal{UserID: 10, Email: role + "@acme.example", Role: role, AccountID: own}
	}
	principals := []struct {
		name string
		p    *gatehouse.Principal
	}{
		{"nobody", nil},
		{"a viewer", member(gatehouse.RoleViewer)},
		{"a developer", member(gatehouse.RoleDeveloper)},
		{"an admin", member(gatehouse.RoleAdmin)},
		{"an owner", member(gatehouse.RoleOwner)},
		{"a user without a role", member("")},
		{"an operator", &gatehouse.Principal{UserID: 1, Email: "ops@provider.example", Operator: true}},
		{"an admin:write caller", apiWriter()},
		{"an admin:read caller", apiReader()},
		{"a caller without admin scope", &gatehouse.Principal{ClientID: "x", Scopes: []string{"ledger:read"}}},
	}
	// want[principal][action] for the principal's own account (an
	// operator's and a caller's "own" is just some account), another
	// account, and no account. o: allowed, f: forbidden, n: not found,
	// u: unauthorized.
	want := map[string][5][3]byte{
		//                              read            credentials     users           owners          operate
		"nobody":                       {{'u', 'u', 'u'}, {'u', 'u', 'u'}, {'u', 'u', 'u'}, {'u', 'u', 'u'}, {'u', 'u', 'u'}},
		"a viewer":                     {{'o', 'n', 'o'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}},
		"a developer":                  {{'o', 'n', 'o'}, {'o', 'n', 'f'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}},
		"an admin":                     {{'o', 'n', 'o'}, {'o', 'n', 'f'}, {'o', 'n', 'f'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}},
		"an owner":                     {{'o', 'n', 'o'}, {'o', 'n', 'f'}, {'o', 'n', 'f'}, {'o', 'n', 'f'}, {'f', 'n', 'f'}},
		"a user without a role":        {{'f', 'n', 'f'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}, {'f', 'n', 'f'}},
		"an operator":                  {{'o', 'o', 'o'}, {'o', 'o', 'o'}, {'o', 'o', 'o'}, {'o', 'o', 'o'}, {'o', 'o', 'o'}},
		"an admin:write caller":        {{'o', 'o', 'o'}, {'o', 'o', 'o'}, {'o', 'o', 'o'}, {'o', 'o', 'o'}, {'o', 'o', 'o'}},
		"an admin:read caller":         {{'o', 'o', 'o'}, {'f', 'f', 'f'}, {'f', 'f', 'f'}, {'f', 'f', 'f'}, {'f', 'f', 'f'}},
		"a caller without admin scope": {{'f', 'f', 'f'}, {'f', 'f', 'f'}, {'f', 'f', 'f'}, {'f', 'f', 'f'}, {'f', 'f', 'f'}},
	}
	codes := map[byte]string{'o': "", 'f': gatehouse.EFORBIDDEN, 'n': gatehouse.ENOTFOUND, 'u': gatehouse.EUNAUTHORIZED}
	accounts := []struct {
		name string
		id   int64
	}{{"its own account", own}, {"another account", other}, {"no account", 0}}
	for _, pr := range principals {
		for act := ActRead; act <= ActOperate; act++ {
			for i, a := range accounts {
				wantCode := codes[want[pr.name][act][i]]
				t.Run(fmt.Sprintf("%s may %s on %s: %q", pr.name, act, a.name, wantCode), func(t *testing.T) {
					err := Authorize(pr.p, act, a.id, "client x")
					if got := gatehouse.ErrorCode(err); got != wantCode {
						t.Fatalf("Authorize: %v (code %q), want code %q", err, got, wantCode)
					}
				})
			}
		}
	}
}

// TestServicePermissions runs every service action as every kind of
// principal, on a client of the principal's own account and on one of
// another account.
func TestServicePermissions(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	pw := "correct horse battery"
	viewer := f.user(t, "viewer@acme.example", pw, f.acme.ID, gatehouse.RoleViewer, false)
	developer := f.user(t, "dev@acme.example", pw, f.acme.ID, gatehouse.RoleDeveloper, false)
	admin := f.user(t, "admin@acme.example", pw, f.acme.ID, gatehouse.RoleAdmin, false)
	owner := f.user(t, "owner@acme.example", pw, f.acme.ID, gatehouse.RoleOwner, false)
	operator := f.user(t, "ops@provider.example", pw, 0, "", true)

	actions := []struct {
		name string
		run  func(p *gatehouse.Principal, clientID string) error
	}{
		{"show a client", func(p *gatehouse.Principal, id string) error { _, err := f.service.Client(ctx, p, id); return err }},
		{"see a client's usage", func(p *gatehouse.Principal, id string) error {
			_, _, err := f.service.ClientUsage(ctx, p, id)
			return err
		}},
		{"rotate a secret", func(p *gatehouse.Principal, id string) error {
			_, err := f.service.RotateSecret(ctx, p, id, time.Hour)
			return err
		}},
		{"renew a secret", func(p *gatehouse.Principal, id string) error { _, err := f.service.RenewSecret(ctx, p, id); return err }},
		{"update a client", func(p *gatehouse.Principal, id string) error {
			_, err := f.service.UpdateClient(ctx, p, id, ClientPatch{Name: Field[string]{Set: true, Value: "renamed"}})
			return err
		}},
		{"set a client's keys", func(p *gatehouse.Principal, id string) error {
			_, err := f.service.SetClientKeys(ctx, p, id, "", "")
			return err
		}},
		{"revoke a secret", func(p *gatehouse.Principal, id string) error {
			c, err := f.store.Client(ctx, id)
			if err != nil {
				return err
			}
			_, err = f.service.RevokeSecret(ctx, p, id, c.Secrets[0].ID)
			return err
		}},
		{"revoke a client", func(p *gatehouse.Principal, id string) error {
			_, err := f.service.RevokeClient(ctx, p, id)
			return err
		}},
	}
	principals := []struct {
		name      string
		p         *gatehouse.Principal
		own       string // code on a client of its own account (acme)
		elsewhere string // code on a client of another account (beta)
		readOwn   string // code of the two reads on its own client
	}{
		{"a viewer", viewer, gatehouse.EFORBIDDEN, gatehouse.ENOTFOUND, ""},
		{"a developer", developer, "", gatehouse.ENOTFOUND, ""},
		{"an admin", admin, "", gatehouse.ENOTFOUND, ""},
		{"an owner", owner, "", gatehouse.ENOTFOUND, ""},
		{"an operator", operator, "", "", ""},
		{"an admin:write caller", apiWriter(), "", "", ""},
		{"an admin:read caller", apiReader(), gatehouse.EFORBIDDEN, gatehouse.EFORBIDDEN, ""},
	}
	for _, pr := range principals {
		for i, a := range actions {
			own, elsewhere := pr.own, pr.elsewhere
			if i < 2 { // the reads
				own = pr.readOwn
				if elsewhere == gatehouse.EFORBIDDEN {
					elsewhere = ""
				}
			}
			t.Run(fmt.Sprintf("%s may %s of its own account: %q, of another: %q", pr.name, a.name, own, elsewhere), func(t *testing.T) {
				mine, theirs := f.client(t, f.acme.ID), f.client(t, f.beta.ID)
				wantCode(t, "own account", a.run(pr.p, mine.Client.ID), own)
				wantCode(t, "other account", a.run(pr.p, theirs.Client.ID), elsewhere)
				if elsewhere == gatehouse.ENOTFOUND {
					wantCode(t, "unknown client", a.run(pr.p, "no-such-client"), gatehouse.ENOTFOUND)
				}
			})
		}
	}

	t.Run("an account user lists only the account's clients, and none of the admin environment", func(t *testing.T) {
		mine := f.client(t, f.acme.ID)
		_, err := f.service.Clients(ctx, viewer, gatehouse.ClientFilter{AccountID: f.beta.ID})
		wantCode(t, "listing another account", err, gatehouse.ENOTFOUND)
		list, err := f.service.Clients(ctx, viewer, gatehouse.ClientFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range list {
			if c.AccountID != f.acme.ID {
				t.Fatalf("a viewer of acme sees client %s of account %d", c.ID, c.AccountID)
			}
			found = found || c.ID == mine.Client.ID
		}
		if !found {
			t.Fatal("the viewer does not see the account's client")
		}
		envs, err := f.service.Environments(ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range envs {
			if e.Name == gatehouse.EnvAdmin {
				t.Fatal("an account user sees the admin environment")
			}
		}
	})
	t.Run("only operators and admin:write callers create accounts, environments and admin clients", func(t *testing.T) {
		for _, p := range []*gatehouse.Principal{viewer, developer, admin, owner, apiReader()} {
			_, err := f.service.CreateAccount(ctx, p, "Gamma")
			wantCode(t, "create account as "+p.Actor(), err, gatehouse.EFORBIDDEN)
			_, err = f.service.CreateEnvironment(ctx, p, NewEnvironment{Name: "staging"})
			wantCode(t, "create environment as "+p.Actor(), err, gatehouse.EFORBIDDEN)
			_, err = f.service.UpdateEnvironment(ctx, p, gatehouse.EnvSandbox, EnvironmentPatch{AllowReveal: Field[bool]{Set: true, Value: true}})
			wantCode(t, "update environment as "+p.Actor(), err, gatehouse.EFORBIDDEN)
			_, err = f.service.CreateClient(ctx, p, NewClient{Environment: gatehouse.EnvAdmin, Name: "escalate", Scopes: []string{gatehouse.ScopeAdminWrite}})
			if code := gatehouse.ErrorCode(err); code != gatehouse.EFORBIDDEN && code != gatehouse.ENOTFOUND {
				t.Fatalf("create an admin client as %s: %v", p.Actor(), err)
			}
		}
		if _, err := f.service.CreateAccount(ctx, operator, "Gamma"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a developer's new client goes into the developer's account", func(t *testing.T) {
		c, err := f.service.CreateClient(ctx, developer, NewClient{Environment: gatehouse.EnvSandbox, Name: "mine"})
		if err != nil {
			t.Fatal(err)
		}
		if c.Client.AccountID != f.acme.ID {
			t.Fatalf("account %d, want %d", c.Client.AccountID, f.acme.ID)
		}
		_, err = f.service.CreateClient(ctx, developer, NewClient{Environment: gatehouse.EnvSandbox, AccountID: f.beta.ID, Name: "theirs"})
		wantCode(t, "create in another account", err, gatehouse.ENOTFOUND)
	})
}
