package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// newKey returns a valid signing key of env. The private key is any bytes:
// the store keeps it opaque.
func newKey(env, id, state string, created time.Time) *gatehouse.SigningKey {
	return &gatehouse.SigningKey{
		ID:          id,
		Environment: env,
		Algorithm:   gatehouse.AlgES256,
		PrivateKey:  []byte("pkcs8 of " + id + "\x00\xff"),
		State:       state,
		CreatedAt:   created,
	}
}

func testSigningKeys(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("a created signing key reads back with every field", func(t *testing.T) {
		f := newFixture(t, newStore)
		want := newKey(gatehouse.EnvSandbox, "kid-1", gatehouse.KeyRetired, at(time.Microsecond))
		want.Algorithm = gatehouse.AlgEdDSA
		want.RemoveAt = at(48*time.Hour + 11*time.Microsecond)
		must(t, "CreateSigningKey", f.store.CreateSigningKey(ctx, want))
		list, err := f.store.SigningKeys(ctx, gatehouse.EnvSandbox)
		must(t, "SigningKeys", err)
		if len(list) != 1 {
			t.Fatalf("SigningKeys: got %d keys, want 1", len(list))
		}
		sameFields(t, "signing key", list[0], want)
	})

	t.Run("signing keys are listed per environment, oldest first", func(t *testing.T) {
		f := newFixture(t, newStore)
		for _, k := range []*gatehouse.SigningKey{
			newKey(gatehouse.EnvSandbox, "b", gatehouse.KeyNext, at(2*time.Hour)),
			newKey(gatehouse.EnvSandbox, "c", gatehouse.KeyRetired, at(0)),
			newKey(gatehouse.EnvProduction, "a", gatehouse.KeyActive, at(time.Hour)),
			newKey(gatehouse.EnvSandbox, "a", gatehouse.KeyActive, at(time.Hour)),
		} {
			must(t, "CreateSigningKey "+k.Environment+"/"+k.ID, f.store.CreateSigningKey(ctx, k))
		}
		list, err := f.store.SigningKeys(ctx, gatehouse.EnvSandbox)
		must(t, "SigningKeys", err)
		var ids []string
		for _, k := range list {
			if k.Environment != gatehouse.EnvSandbox {
				t.Errorf("key %s of %s listed for sandbox", k.ID, k.Environment)
			}
			ids = append(ids, k.ID)
		}
		sameFields(t, "sandbox keys", ids, []string{"c", "a", "b"})

		list, err = f.store.SigningKeys(ctx, "nowhere")
		must(t, "SigningKeys of an unknown environment", err)
		if len(list) != 0 {
			t.Errorf("an unknown environment has %d keys", len(list))
		}
	})

	t.Run("a signing key of an unknown environment is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		err := f.store.CreateSigningKey(ctx, newKey("nowhere", "k", gatehouse.KeyActive, at(0)))
		wantCode(t, "CreateSigningKey", err, gatehouse.ENOTFOUND)
	})

	t.Run("a key id is unique within an environment only", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "CreateSigningKey", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "k", gatehouse.KeyActive, at(0))))
		err := f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "k", gatehouse.KeyNext, at(0)))
		wantCode(t, "CreateSigningKey again", err, gatehouse.ECONFLICT)
		must(t, "CreateSigningKey in production",
			f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvProduction, "k", gatehouse.KeyActive, at(0))))
	})

	t.Run("an invalid signing key is rejected", func(t *testing.T) {
		f := newFixture(t, newStore)
		cases := map[string]func(k *gatehouse.SigningKey){
			"no id":          func(k *gatehouse.SigningKey) { k.ID = "" },
			"bad algorithm":  func(k *gatehouse.SigningKey) { k.Algorithm = "none" },
			"bad state":      func(k *gatehouse.SigningKey) { k.State = "lost" },
			"no private key": func(k *gatehouse.SigningKey) { k.PrivateKey = nil },
			"bad env name":   func(k *gatehouse.SigningKey) { k.Environment = "" },
		}
		for name, spoil := range cases {
			k := newKey(gatehouse.EnvSandbox, "k", gatehouse.KeyActive, at(0))
			spoil(k)
			wantCode(t, "CreateSigningKey with "+name, f.store.CreateSigningKey(ctx, k), gatehouse.EINVALID)
		}
	})

	t.Run("a key changes state by compare-and-swap", func(t *testing.T) {
		f := newFixture(t, newStore)
		k := newKey(gatehouse.EnvSandbox, "k1", gatehouse.KeyActive, at(0))
		must(t, "CreateSigningKey", f.store.CreateSigningKey(ctx, k))
		removeAt := at(25*time.Hour + 13*time.Microsecond)
		must(t, "first swap", f.store.UpdateSigningKeyState(ctx, gatehouse.EnvSandbox, "k1",
			gatehouse.KeyActive, gatehouse.KeyRetired, removeAt))
		err := f.store.UpdateSigningKeyState(ctx, gatehouse.EnvSandbox, "k1",
			gatehouse.KeyActive, gatehouse.KeyRetired, removeAt.Add(time.Hour))
		wantCode(t, "second swap from the same state", err, gatehouse.ECONFLICT)

		list, err := f.store.SigningKeys(ctx, gatehouse.EnvSandbox)
		must(t, "SigningKeys", err)
		k.State, k.RemoveAt = gatehouse.KeyRetired, removeAt
		sameFields(t, "key after the swaps", list[0], k)
	})

	t.Run("a zero RemoveAt clears it", func(t *testing.T) {
		f := newFixture(t, newStore)
		k := newKey(gatehouse.EnvSandbox, "k1", gatehouse.KeyRetired, at(0))
		k.RemoveAt = at(time.Hour)
		must(t, "CreateSigningKey", f.store.CreateSigningKey(ctx, k))
		must(t, "UpdateSigningKeyState", f.store.UpdateSigningKeyState(ctx, gatehouse.EnvSandbox, "k1",
			gatehouse.KeyRetired, gatehouse.KeyActive, time.Time{}))
		list, err := f.store.SigningKeys(ctx, gatehouse.EnvSandbox)
		must(t, "SigningKeys", err)
		if list[0].State != gatehouse.KeyActive || !list[0].RemoveAt.IsZero() {
			t.Errorf("key is %s with RemoveAt %v; want active with a zero RemoveAt", list[0].State, list[0].RemoveAt)
		}
	})

	t.Run("moving an unknown key is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "CreateSigningKey", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "k1", gatehouse.KeyActive, at(0))))
		err := f.store.UpdateSigningKeyState(ctx, gatehouse.EnvSandbox, "k2", gatehouse.KeyActive, gatehouse.KeyRetired, at(0))
		wantCode(t, "UpdateSigningKeyState of an unknown kid", err, gatehouse.ENOTFOUND)
		err = f.store.UpdateSigningKeyState(ctx, gatehouse.EnvProduction, "k1", gatehouse.KeyActive, gatehouse.KeyRetired, at(0))
		wantCode(t, "UpdateSigningKeyState in another environment", err, gatehouse.ENOTFOUND)
	})

	t.Run("moving a key to an invalid state is rejected", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "CreateSigningKey", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "k1", gatehouse.KeyActive, at(0))))
		err := f.store.UpdateSigningKeyState(ctx, gatehouse.EnvSandbox, "k1", gatehouse.KeyActive, "gone", at(0))
		wantCode(t, "UpdateSigningKeyState", err, gatehouse.EINVALID)
	})
}
