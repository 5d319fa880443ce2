package keyrotation_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestRotateNowSignsAtOnceAndKeepsTheOldKeyPublished(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, newSQLiteStore(t))
	old, oldKid := f.token(t)
	pending, err := f.rotator.Rotate(ctx, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.rotator.RotateNow(ctx, "sandbox", gatehouse.AlgEdDSA)
	if err != nil {
		t.Fatalf("RotateNow: %v", err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, kid := f.token(t); kid != k.ID || k.Algorithm != gatehouse.AlgEdDSA {
		t.Fatalf("a token right after RotateNow is signed by %s, want the new %s key %s", kid, k.Algorithm, k.ID)
	}
	if !f.active(t, old) || !f.isPublished(t, oldKid) {
		t.Fatal("tokens of the old key must stay valid and the key published until they expire")
	}
	if f.isPublished(t, pending.ID) {
		t.Fatal("the pending next key is still published after RotateNow")
	}
	retired := f.stateOf(t, oldKid)
	// The client's tokens live for an hour: the old key stays that long plus the margin.
	if want := f.clock.Now().Add(time.Hour + margin); retired.State != gatehouse.KeyRetired || !retired.RemoveAt.Equal(want) {
		t.Fatalf("old key is %s until %v, want retired until %v", retired.State, retired.RemoveAt, want)
	}
}

func TestRevokeRemovesTheKeyAndItsTokens(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, newSQLiteStore(t))
	leaked, kid := f.token(t)
	if err := f.rotator.Revoke(ctx, "sandbox", kid); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
		t.Fatalf("revoking the active key: %v, want a conflict that says to rotate first", err)
	}
	if _, err := f.rotator.RotateNow(ctx, "sandbox", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.rotator.Revoke(ctx, "sandbox", kid); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if f.isPublished(t, kid) {
		t.Fatal("a revoked key is still in the JWKS")
	}
	if f.active(t, leaked) {
		t.Fatal("a token signed by a revoked key is active at introspection")
	}
	fresh, _ := f.token(t)
	if !f.active(t, fresh) {
		t.Fatal("a token of the new key is inactive")
	}
	k := f.stateOf(t, kid)
	if k.State != gatehouse.KeyRevoked || !k.RevokedAt.Equal(f.clock.Now()) || !k.RemoveAt.Equal(f.clock.Now().Add(gatehouse.MaxTokenLifetime)) {
		t.Fatalf("stored record %+v: want revoked now, kept for the longest token lifetime", k)
	}
	f.clock.Add(gatehouse.MaxTokenLifetime)
	f.advance(t)
	got, _ := f.store.SigningKeys(ctx, "sandbox")
	for _, k := range got {
		if k.ID == kid {
			t.Fatal("the revoked key's record is kept after the longest token lifetime")
		}
	}
}

func TestCancelNextLeavesTheActiveKeySigning(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, newSQLiteStore(t))
	next, err := f.rotator.Rotate(ctx, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.rotator.CancelNext(ctx, "sandbox", f.first.ID); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
		t.Fatalf("cancelling the active key: %v, want a conflict", err)
	}
	if err := f.rotator.CancelNext(ctx, "sandbox", next.ID); err != nil {
		t.Fatalf("CancelNext: %v", err)
	}
	f.clock.Add(2 * delay)
	f.advance(t)
	if _, kid := f.token(t); kid != f.first.ID || f.isPublished(t, next.ID) {
		t.Fatalf("after cancelling, tokens are signed by %s and the next key published %v; want the first key and no", kid, f.isPublished(t, next.ID))
	}
	if _, err := f.rotator.Rotate(ctx, "sandbox", ""); err != nil {
		t.Fatalf("a new rotation after the cancellation: %v", err)
	}
}
