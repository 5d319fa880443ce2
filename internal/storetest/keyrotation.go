package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// testKeyRotation checks the compare-and-swap steps of a signing-key
// rotation.
func testKeyRotation(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("an environment has at most one next key", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "first next key", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "n1", gatehouse.KeyNext, at(0))))
		wantCode(t, "second next key", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "n2", gatehouse.KeyNext, at(0))), gatehouse.ECONFLICT)
		must(t, "a next key of another environment", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvProduction, "n2", gatehouse.KeyNext, at(0))))
	})

	t.Run("an environment has at most one active key", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "first active key", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "a1", gatehouse.KeyActive, at(0))))
		wantCode(t, "second active key", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "a2", gatehouse.KeyActive, at(0))), gatehouse.ECONFLICT)
		must(t, "an active key of another environment", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvProduction, "a2", gatehouse.KeyActive, at(0))))
		must(t, "a retired key", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "r1", gatehouse.KeyRetired, at(0))))
		wantCode(t, "moving the retired key back to active",
			f.store.UpdateSigningKeyState(ctx, gatehouse.EnvSandbox, "r1", gatehouse.KeyRetired, gatehouse.KeyActive, time.Time{}), gatehouse.ECONFLICT)
		if got := keysByID(t, f.store, gatehouse.EnvSandbox); len(got) != 2 || got["a1"].State != gatehouse.KeyActive {
			t.Fatalf("sandbox keys %v, want a1 active and r1", got)
		}
	})

	for _, state := range []string{gatehouse.KeyActive, gatehouse.KeyNext} {
		t.Run("of concurrent "+state+" keys for one environment exactly one is created", func(t *testing.T) {
			f := newFixture(t, newStore)
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					errs[i] = f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, fmt.Sprintf("k%d", i), state, at(0)))
				})
			}
			wg.Wait()
			created := 0
			for _, err := range errs {
				switch {
				case err == nil:
					created++
				case gatehouse.ErrorCode(err) != gatehouse.ECONFLICT:
					t.Errorf("CreateSigningKey: %v, want nil or a conflict", err)
				}
			}
			if got := len(keysByID(t, f.store, gatehouse.EnvSandbox)); created != 1 || got != 1 {
				t.Fatalf("%d creations succeeded and the environment has %d keys, want 1 and 1", created, got)
			}
		})
	}

	t.Run("promoting the next key activates it and retires the active one", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "active", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "old", gatehouse.KeyActive, at(0))))
		must(t, "next", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "new", gatehouse.KeyNext, at(time.Hour))))
		must(t, "other env", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvProduction, "prod", gatehouse.KeyActive, at(0))))
		before, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)
		removeAt := at(48*time.Hour + 7*time.Microsecond)
		must(t, "PromoteSigningKey", f.store.PromoteSigningKey(ctx, gatehouse.EnvSandbox, "new", removeAt))

		keys := keysByID(t, f.store, gatehouse.EnvSandbox)
		if k := keys["new"]; k.State != gatehouse.KeyActive || !k.RemoveAt.IsZero() {
			t.Errorf("promoted key is %s with RemoveAt %v, want active with none", k.State, k.RemoveAt)
		}
		if k := keys["old"]; k.State != gatehouse.KeyRetired || !k.RemoveAt.Equal(removeAt) {
			t.Errorf("old key is %s with RemoveAt %v, want retired with %v", k.State, k.RemoveAt, removeAt)
		}
		if k := keysByID(t, f.store, gatehouse.EnvProduction)["prod"]; k.State != gatehouse.KeyActive {
			t.Errorf("the other environment's key is %s, want active", k.State)
		}
		changes, err := f.store.Changes(ctx, before, 10)
		must(t, "Changes", err)
		var keysChanged []string
		for _, c := range changes {
			if c.Kind == gatehouse.ChangeSigningKey {
				keysChanged = append(keysChanged, c.Key)
			}
		}
		slices.Sort(keysChanged)
		sameFields(t, "signing key changes", keysChanged, []string{"sandbox/new", "sandbox/old"})
		must(t, "a new next key after the promotion", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "newer", gatehouse.KeyNext, at(2*time.Hour))))
	})

	t.Run("a key that is not next cannot be promoted", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "active", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "a", gatehouse.KeyActive, at(0))))
		must(t, "next", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "n", gatehouse.KeyNext, at(0))))
		wantCode(t, "promote the active key", f.store.PromoteSigningKey(ctx, gatehouse.EnvSandbox, "a", at(time.Hour)), gatehouse.ECONFLICT)
		must(t, "promote the next key", f.store.PromoteSigningKey(ctx, gatehouse.EnvSandbox, "n", at(time.Hour)))
		wantCode(t, "promote it again", f.store.PromoteSigningKey(ctx, gatehouse.EnvSandbox, "n", at(time.Hour)), gatehouse.ECONFLICT)
		wantCode(t, "promote an unknown key", f.store.PromoteSigningKey(ctx, gatehouse.EnvSandbox, "x", at(time.Hour)), gatehouse.ENOTFOUND)
		wantCode(t, "promote in another environment", f.store.PromoteSigningKey(ctx, gatehouse.EnvProduction, "n", at(time.Hour)), gatehouse.ENOTFOUND)
	})

	t.Run("of concurrent promotions of one key exactly one succeeds", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "active", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "a", gatehouse.KeyActive, at(0))))
		must(t, "next", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "n", gatehouse.KeyNext, at(0))))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = f.store.PromoteSigningKey(ctx, gatehouse.EnvSandbox, "n", at(time.Duration(i)*time.Hour))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case gatehouse.ErrorCode(err) != gatehouse.ECONFLICT:
				t.Errorf("PromoteSigningKey: %v, want nil or a conflict", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d promotions succeeded, want 1", ok, n)
		}
		keys := keysByID(t, f.store, gatehouse.EnvSandbox)
		if keys["n"].State != gatehouse.KeyActive || keys["a"].State != gatehouse.KeyRetired {
			t.Fatalf("after the race n is %s and a is %s, want active and retired", keys["n"].State, keys["a"].State)
		}
	})

	t.Run("retired keys are deleted once their RemoveAt has come, and no other key", func(t *testing.T) {
		f := newFixture(t, newStore)
		due := newKey(gatehouse.EnvSandbox, "due", gatehouse.KeyRetired, at(0))
		due.RemoveAt = at(time.Hour)
		later := newKey(gatehouse.EnvSandbox, "later", gatehouse.KeyRetired, at(0))
		later.RemoveAt = at(3 * time.Hour)
		other := newKey(gatehouse.EnvProduction, "due", gatehouse.KeyRetired, at(0))
		other.RemoveAt = at(time.Hour)
		for _, k := range []*gatehouse.SigningKey{due, later, other,
			newKey(gatehouse.EnvSandbox, "active", gatehouse.KeyActive, at(0)),
			newKey(gatehouse.EnvSandbox, "next", gatehouse.KeyNext, at(0))} {
			must(t, "CreateSigningKey "+k.ID, f.store.CreateSigningKey(ctx, k))
		}
		none, err := f.store.DeleteRemovedSigningKeys(ctx, gatehouse.EnvSandbox, at(time.Hour-time.Microsecond))
		must(t, "DeleteRemovedSigningKeys before RemoveAt", err)
		if len(none) != 0 {
			t.Fatalf("deleted %v before their RemoveAt", none)
		}
		deleted, err := f.store.DeleteRemovedSigningKeys(ctx, gatehouse.EnvSandbox, at(2*time.Hour))
		must(t, "DeleteRemovedSigningKeys", err)
		sameFields(t, "deleted keys", deleted, []string{"due"})
		var left []string
		for id := range keysByID(t, f.store, gatehouse.EnvSandbox) {
			left = append(left, id)
		}
		slices.Sort(left)
		sameFields(t, "sandbox keys left", left, []string{"active", "later", "next"})
		if _, ok := keysByID(t, f.store, gatehouse.EnvProduction)["due"]; !ok {
			t.Error("a key of another environment was deleted")
		}
	})
	t.Run("the longest client token lifetime is the largest override among the environment's clients", func(t *testing.T) {
		f := newFixture(t, newStore)
		got, err := f.store.LongestClientTokenLifetime(ctx, gatehouse.EnvSandbox)
		must(t, "LongestClientTokenLifetime of an environment without clients", err)
		if got != 0 {
			t.Fatalf("without clients: %s, want 0", got)
		}
		for i, lifetime := range []time.Duration{0, time.Hour, 0, 3 * time.Hour} {
			c := newClient(fmt.Sprintf("sandbox-%d", i), gatehouse.EnvSandbox, f.account.ID)
			if lifetime > 0 {
				c.Tokens.Lifetime = ptr(lifetime)
			}
			if i == 3 {
				c.Status = gatehouse.ClientRevoked // its tokens may still be out there
			}
			must(t, "CreateClient "+c.ID, f.store.CreateClient(ctx, c))
		}
		other := newClient("production-0", gatehouse.EnvProduction, f.account.ID)
		other.Tokens.Lifetime = ptr(48 * time.Hour)
		must(t, "CreateClient in production", f.store.CreateClient(ctx, other))
		got, err = f.store.LongestClientTokenLifetime(ctx, gatehouse.EnvSandbox)
		must(t, "LongestClientTokenLifetime", err)
		if got != 3*time.Hour {
			t.Fatalf("sandbox: %s, want 3h (the other environment's 48h does not count)", got)
		}
		got, err = f.store.LongestClientTokenLifetime(ctx, "nowhere")
		must(t, "LongestClientTokenLifetime of an unknown environment", err)
		if got != 0 {
			t.Fatalf("unknown environment: %s, want 0", got)
		}
	})
}

// keysByID returns an environment's signing keys by id.
func keysByID(t *testing.T, s gatehouse.Store, env string) map[string]*gatehouse.SigningKey {
	t.Helper()
	list, err := s.SigningKeys(context.Background(), env)
	must(t, "SigningKeys", err)
	m := map[string]*gatehouse.SigningKey{}
	for _, k := range list {
		m[k.ID] = k
	}
	return m
}
