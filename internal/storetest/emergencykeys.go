package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// testEmergencyKeys checks the signing-key steps taken outside the
// rotation timeline: activating a key at once, revoking a key, cancelling
// a pending one.
func testEmergencyKeys(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("activating a key at once retires the active key and drops the next one", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "active", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "old", gatehouse.KeyActive, at(0))))
		must(t, "next", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "pending", gatehouse.KeyNext, at(time.Hour))))
		must(t, "other env", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvProduction, "prod", gatehouse.KeyActive, at(0))))
		before, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)
		removeAt := at(49 * time.Hour)
		retired, err := f.store.ActivateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "now", gatehouse.KeyActive, at(2*time.Hour)), removeAt)
		must(t, "ActivateSigningKey", err)
		sameFields(t, "retired keys", retired, []string{"old"})
		keys := keysByID(t, f.store, gatehouse.EnvSandbox)
		if len(keys) != 2 || keys["now"].State != gatehouse.KeyActive || keys["old"].State != gatehouse.KeyRetired ||
			!keys["old"].RemoveAt.Equal(removeAt) {
			t.Fatalf("sandbox keys after the activation: %v, want now active and old retired until %v", keys, removeAt)
		}
		if keysByID(t, f.store, gatehouse.EnvProduction)["prod"].State != gatehouse.KeyActive {
			t.Error("another environment's key changed")
		}
		changes, err := f.store.Changes(ctx, before, 10)
		must(t, "Changes", err)
		var changed []string
		for _, c := range changes {
			changed = append(changed, c.Kind+" "+c.Key)
		}
		slices.Sort(changed)
		sameFields(t, "changes", changed, []string{"signing_key sandbox/now", "signing_key sandbox/old", "signing_key sandbox/pending"})
		wantCode(t, "a key that is not active", func() error {
			_, err := f.store.ActivateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "n2", gatehouse.KeyNext, at(0)), removeAt)
			return err
		}(), gatehouse.EINVALID)
	})

	t.Run("a revoked key is kept with its revocation time and deleted at its RemoveAt", func(t *testing.T) {
		f := newFixture(t, newStore)
		retired := newKey(gatehouse.EnvSandbox, "retired", gatehouse.KeyRetired, at(0))
		retired.RemoveAt = at(time.Hour)
		for _, k := range []*gatehouse.SigningKey{retired,
			newKey(gatehouse.EnvSandbox, "active", gatehouse.KeyActive, at(0)),
			newKey(gatehouse.EnvSandbox, "next", gatehouse.KeyNext, at(0))} {
			must(t, "CreateSigningKey "+k.ID, f.store.CreateSigningKey(ctx, k))
		}
		before, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)
		must(t, "revoke the retired key", f.store.RevokeSigningKey(ctx, gatehouse.EnvSandbox, "retired", at(10*time.Minute), at(90*time.Hour)))
		must(t, "revoke it again", f.store.RevokeSigningKey(ctx, gatehouse.EnvSandbox, "retired", at(20*time.Minute), at(99*time.Hour)))
		must(t, "revoke the next key", f.store.RevokeSigningKey(ctx, gatehouse.EnvSandbox, "next", at(10*time.Minute), at(90*time.Hour)))
		wantCode(t, "revoke the active key", f.store.RevokeSigningKey(ctx, gatehouse.EnvSandbox, "active", at(0), at(time.Hour)), gatehouse.ECONFLICT)
		wantCode(t, "revoke an unknown key", f.store.RevokeSigningKey(ctx, gatehouse.EnvSandbox, "x", at(0), at(time.Hour)), gatehouse.ENOTFOUND)
		wantCode(t, "revoke in another environment", f.store.RevokeSigningKey(ctx, gatehouse.EnvProduction, "next", at(0), at(time.Hour)), gatehouse.ENOTFOUND)
		k := keysByID(t, f.store, gatehouse.EnvSandbox)["retired"]
		if k.State != gatehouse.KeyRevoked || !k.RevokedAt.Equal(at(10*time.Minute)) || !k.RemoveAt.Equal(at(90*time.Hour)) {
			t.Fatalf("revoked key: state %s revoked %v remove %v, want revoked at +10m, removed at +90h", k.State, k.RevokedAt, k.RemoveAt)
		}
		changes, err := f.store.Changes(ctx, before, 10)
		must(t, "Changes", err)
		if len(changes) != 2 || changes[0].Key != "sandbox/retired" || changes[1].Key != "sandbox/next" {
			t.Fatalf("changes %+v, want one per revoked key", changes)
		}
		deleted, err := f.store.DeleteRemovedSigningKeys(ctx, gatehouse.EnvSandbox, at(2*time.Hour))
		must(t, "DeleteRemovedSigningKeys", err)
		if len(deleted) != 0 {
			t.Fatalf("deleted %v before the revoked keys' RemoveAt", deleted)
		}
		deleted, err = f.store.DeleteRemovedSigningKeys(ctx, gatehouse.EnvSandbox, at(90*time.Hour))
		must(t, "DeleteRemovedSigningKeys", err)
		slices.Sort(deleted)
		sameFields(t, "deleted keys", deleted, []string{"next", "retired"})
		wantCode(t, "a key stored revoked", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "r", gatehouse.KeyRevoked, at(0))), gatehouse.EINVALID)
	})

	t.Run("only a next key can be cancelled", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "active", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "a", gatehouse.KeyActive, at(0))))
		must(t, "next", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "n", gatehouse.KeyNext, at(0))))
		wantCode(t, "cancel the active key", f.store.CancelNextSigningKey(ctx, gatehouse.EnvSandbox, "a"), gatehouse.ECONFLICT)
		wantCode(t, "cancel an unknown key", f.store.CancelNextSigningKey(ctx, gatehouse.EnvSandbox, "x"), gatehouse.ENOTFOUND)
		must(t, "cancel the next key", f.store.CancelNextSigningKey(ctx, gatehouse.EnvSandbox, "n"))
		if keys := keysByID(t, f.store, gatehouse.EnvSandbox); len(keys) != 1 || keys["a"] == nil {
			t.Fatalf("keys after the cancellation: %v, want the active key only", keys)
		}
		must(t, "a new next key", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "n2", gatehouse.KeyNext, at(0))))
	})
}
