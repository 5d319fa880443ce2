package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// change is the part of a gatehouse.Change a test can predict.
type change struct{ Kind, Key string }

func (c change) String() string { return c.Kind + " " + c.Key }

// changesAfter returns every change with an id above after, and fails t
// unless their ids increase and their times are set.
func changesAfter(t *testing.T, s gatehouse.Store, after int64) []gatehouse.Change {
	t.Helper()
	list, err := s.Changes(context.Background(), after, 1000)
	must(t, "Changes", err)
	last := after
	for _, c := range list {
		if c.ID <= last {
			t.Fatalf("change %d (%s %s) follows change %d", c.ID, c.Kind, c.Key, last)
		}
		if c.At.IsZero() || c.At.Location() != time.UTC {
			t.Errorf("change %d has time %v, want a UTC time", c.ID, c.At)
		}
		last = c.ID
	}
	return list
}

func kindsAndKeys(list []gatehouse.Change) []change {
	var out []change
	for _, c := range list {
		out = append(out, change{c.Kind, c.Key})
	}
	return out
}

func testChangeFeed(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("an empty feed has no changes and latest change 0", func(t *testing.T) {
		s := newStore(t)
		latest, err := s.LatestChange(ctx)
		must(t, "LatestChange", err)
		if latest != 0 {
			t.Errorf("LatestChange is %d, want 0", latest)
		}
		if list := changesAfter(t, s, 0); len(list) != 0 {
			t.Errorf("got %d changes, want none", len(list))
		}
	})

	t.Run("every mutation appends exactly its change, in order", func(t *testing.T) {
		s := newStore(t)
		acct := &gatehouse.Account{Name: "Acme"}
		client := newClient("c1", gatehouse.EnvSandbox, 0)
		env := newEnvironment(gatehouse.EnvSandbox)
		key := newKey(gatehouse.EnvSandbox, "k1", gatehouse.KeyActive, at(0))
		steps := []struct {
			name string
			do   func() error
			want []change
		}{
			{"CreateEnvironment", func() error { return s.CreateEnvironment(ctx, env) },
				[]change{{gatehouse.ChangeEnvironment, "sandbox"}}},
			{"UpdateEnvironment", func() error { env.Tokens.Reuse = true; return s.UpdateEnvironment(ctx, env) },
				[]change{{gatehouse.ChangeEnvironment, "sandbox"}}},
			{"CreateAccount", func() error { return s.CreateAccount(ctx, acct) }, nil},
			{"CreateClient", func() error { client.AccountID = acct.ID; return s.CreateClient(ctx, client) },
				[]change{{gatehouse.ChangeClient, "c1"}}},
			{"UpdateClient", func() error {
				client.Secrets = append(client.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret("2"), CreatedAt: at(0)})
				return s.UpdateClient(ctx, client)
			}, []change{{gatehouse.ChangeClient, "c1"}}},
			{"CreateSigningKey", func() error { return s.CreateSigningKey(ctx, key) },
				[]change{{gatehouse.ChangeSigningKey, "sandbox/k1"}}},
			{"UpdateSigningKeyState", func() error {
				return s.UpdateSigningKeyState(ctx, "sandbox", "k1", gatehouse.KeyActive, gatehouse.KeyRetired, at(time.Hour))
			}, []change{{gatehouse.ChangeSigningKey, "sandbox/k1"}}},
			{"RevokeToken", func() error { return s.RevokeToken(ctx, newRevocation("jti-1", at(time.Hour))) },
				[]change{{gatehouse.ChangeRevocation, "jti-1"}}},
			{"RevokeToken of a revoked token", func() error { return s.RevokeToken(ctx, newRevocation("jti-1", at(time.Hour))) }, nil},
			{"CreateUser", func() error {
				return s.CreateUser(ctx, &gatehouse.User{Email: "a@b.example", PasswordHash: "x", Operator: true})
			}, nil},
			{"DeleteExpiredRevocations", func() error { return s.DeleteExpiredRevocations(ctx, at(2*time.Hour)) }, nil},
		}
		for _, step := range steps {
			before, err := s.LatestChange(ctx)
			must(t, "LatestChange before "+step.name, err)
			must(t, step.name, step.do())
			got := changesAfter(t, s, before)
			sameFields(t, "changes of "+step.name, kindsAndKeys(got), step.want)
			latest, err := s.LatestChange(ctx)
			must(t, "LatestChange after "+step.name, err)
			if len(got) > 0 && latest != got[len(got)-1].ID {
				t.Errorf("LatestChange after %s is %d, want %d", step.name, latest, got[len(got)-1].ID)
			}
		}
	})

	t.Run("failed mutations append nothing", func(t *testing.T) {
		f := newFixture(t, newStore)
		s := f.store
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", s.CreateClient(ctx, c))
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "k1", gatehouse.KeyActive, at(0))))
		before, err := s.LatestChange(ctx)
		must(t, "LatestChange", err)

		bad := newEnvironment(gatehouse.EnvSandbox)
		bad.Tokens.Format = "saml"
		stale := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		stale.Secrets = []gatehouse.Secret{{ID: 99999, CreatedAt: at(0)}}
		failures := map[string]error{
			"CreateEnvironment of a taken name":   s.CreateEnvironment(ctx, newEnvironment(gatehouse.EnvSandbox)),
			"CreateEnvironment of an invalid one": s.CreateEnvironment(ctx, bad),
			"UpdateEnvironment of an unknown one": s.UpdateEnvironment(ctx, newEnvironment("nowhere")),
			"CreateClient of a taken id":          s.CreateClient(ctx, newClient("c1", gatehouse.EnvSandbox, f.account.ID)),
			"CreateClient of an unknown account":  s.CreateClient(ctx, newClient("c2", gatehouse.EnvSandbox, f.account.ID+9)),
			"UpdateClient of an unknown client":   s.UpdateClient(ctx, newClient("c3", gatehouse.EnvSandbox, f.account.ID)),
			"UpdateClient with a stale secret":    s.UpdateClient(ctx, stale),
			"CreateSigningKey of a taken kid":     s.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "k1", gatehouse.KeyNext, at(0))),
			"UpdateSigningKeyState from a wrong state": s.UpdateSigningKeyState(ctx, gatehouse.EnvSandbox, "k1",
				gatehouse.KeyNext, gatehouse.KeyActive, time.Time{}),
			"RevokeToken without an expiry": s.RevokeToken(ctx, newRevocation("jti", time.Time{})),
		}
		for name, err := range failures {
			if err == nil {
				t.Errorf("%s: succeeded, want an error", name)
			}
		}
		if list := changesAfter(t, s, before); len(list) != 0 {
			t.Errorf("failed mutations appended %v", kindsAndKeys(list))
		}
	})

	t.Run("changes page by id with afterID and limit", func(t *testing.T) {
		s := newStore(t)
		for i := range 5 {
			must(t, "CreateEnvironment", s.CreateEnvironment(ctx, newEnvironment(fmt.Sprintf("env%d", i))))
		}
		all := changesAfter(t, s, 0)
		if len(all) != 5 {
			t.Fatalf("got %d changes, want 5", len(all))
		}
		var keys []string
		after := int64(0)
		for {
			page, err := s.Changes(ctx, after, 2)
			must(t, "Changes", err)
			if len(page) > 2 {
				t.Fatalf("a page of limit 2 has %d changes", len(page))
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				keys = append(keys, c.Key)
			}
			after = page[len(page)-1].ID
		}
		sameFields(t, "keys read page by page", keys, []string{"env0", "env1", "env2", "env3", "env4"})

		page, err := s.Changes(ctx, all[2].ID, 0)
		must(t, "Changes with limit 0", err)
		sameFields(t, "changes after the third", page, all[3:])
	})

	t.Run("change times are about now", func(t *testing.T) {
		s := newStore(t)
		start := time.Now().Add(-time.Second)
		must(t, "CreateEnvironment", s.CreateEnvironment(ctx, newEnvironment("sandbox")))
		end := time.Now().Add(time.Second)
		list := changesAfter(t, s, 0)
		if len(list) != 1 || list[0].At.Before(start) || list[0].At.After(end) {
			t.Errorf("changes %+v; want one made between %v and %v", list, start, end)
		}
	})

	t.Run("DeleteChanges removes the changes made before a time and ids are never reused", func(t *testing.T) {
		s := newStore(t)
		for i := range 4 {
			must(t, "CreateEnvironment", s.CreateEnvironment(ctx, newEnvironment(fmt.Sprintf("env%d", i))))
			time.Sleep(2 * time.Millisecond) // distinct change times
		}
		all := changesAfter(t, s, 0)
		must(t, "DeleteChanges before the first", s.DeleteChanges(ctx, all[0].At))
		if got := changesAfter(t, s, 0); len(got) != 4 {
			t.Fatalf("DeleteChanges before the first change deleted %d", 4-len(got))
		}
		cut := all[2].At
		must(t, "DeleteChanges before the third", s.DeleteChanges(ctx, cut))
		left := changesAfter(t, s, 0)
		for _, c := range all {
			kept := false
			for _, l := range left {
				kept = kept || l.ID == c.ID
			}
			if kept == c.At.Before(cut) {
				t.Errorf("change %d at %v: kept=%v, cut at %v", c.ID, c.At, kept, cut)
			}
		}
		must(t, "DeleteChanges of all", s.DeleteChanges(ctx, all[3].At.Add(time.Microsecond)))
		if got := changesAfter(t, s, 0); len(got) != 0 {
			t.Fatalf("%d changes left after deleting them all", len(got))
		}
		latest, err := s.LatestChange(ctx)
		must(t, "LatestChange", err)
		if latest != 0 && latest != all[3].ID {
			t.Errorf("LatestChange of a pruned feed is %d, want 0 or %d", latest, all[3].ID)
		}
		must(t, "CreateEnvironment", s.CreateEnvironment(ctx, newEnvironment("later")))
		got := changesAfter(t, s, all[3].ID)
		if len(got) != 1 || got[0].Key != "later" {
			t.Fatalf("after pruning, a new change is not after the last old one: %+v", got)
		}
	})
}
