package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func newReusable(clientID, key string, issued time.Time, lifetime time.Duration, sealed string) *gatehouse.ReusableToken {
	return &gatehouse.ReusableToken{
		ClientID: clientID, Key: key, Environment: gatehouse.EnvSandbox,
		Sealed: []byte(sealed), IssuedAt: issued, ExpiresAt: issued.Add(lifetime),
	}
}

func testReusableTokens(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	setup := func(t *testing.T) *fixture {
		t.Helper()
		f := newFixture(t, newStore)
		must(t, "CreateClient", f.store.CreateClient(ctx, newClient("c1", gatehouse.EnvSandbox, f.account.ID)))
		return f
	}

	t.Run("a stored token round-trips", func(t *testing.T) {
		f := setup(t)
		want := newReusable("c1", "k", at(0), time.Hour, "sealed-1")
		got, err := f.store.PutReusableToken(ctx, want)
		must(t, "PutReusableToken", err)
		sameFields(t, "stored token", got, want)
		got, err = f.store.ReusableToken(ctx, "c1", "k")
		must(t, "ReusableToken", err)
		sameFields(t, "loaded token", got, want)
	})

	t.Run("a missing token is not found", func(t *testing.T) {
		f := setup(t)
		_, err := f.store.ReusableToken(ctx, "c1", "nope")
		wantCode(t, "ReusableToken", err, gatehouse.ENOTFOUND)
	})

	t.Run("an unexpired token is kept and returned to a later writer", func(t *testing.T) {
		f := setup(t)
		first := newReusable("c1", "k", at(0), time.Hour, "first")
		_, err := f.store.PutReusableToken(ctx, first)
		must(t, "first put", err)
		got, err := f.store.PutReusableToken(ctx, newReusable("c1", "k", at(time.Minute), time.Hour, "second"))
		must(t, "second put", err)
		if string(got.Sealed) != "first" {
			t.Fatalf("second writer got %q, want the first token back", got.Sealed)
		}
	})

	t.Run("an expired token is replaced", func(t *testing.T) {
		f := setup(t)
		_, err := f.store.PutReusableToken(ctx, newReusable("c1", "k", at(0), time.Hour, "old"))
		must(t, "first put", err)
		got, err := f.store.PutReusableToken(ctx, newReusable("c1", "k", at(time.Hour), time.Hour, "new"))
		must(t, "second put", err)
		if string(got.Sealed) != "new" || !got.ExpiresAt.Equal(at(2*time.Hour)) {
			t.Fatalf("got %q until %v, want the new token", got.Sealed, got.ExpiresAt)
		}
	})

	t.Run("keys and clients are separate", func(t *testing.T) {
		f := setup(t)
		must(t, "CreateClient", f.store.CreateClient(ctx, newClient("c2", gatehouse.EnvSandbox, f.account.ID)))
		for _, tok := range []*gatehouse.ReusableToken{
			newReusable("c1", "a", at(0), time.Hour, "c1a"),
			newReusable("c1", "b", at(0), time.Hour, "c1b"),
			newReusable("c2", "a", at(0), time.Hour, "c2a"),
		} {
			got, err := f.store.PutReusableToken(ctx, tok)
			must(t, "PutReusableToken", err)
			if string(got.Sealed) != string(tok.Sealed) {
				t.Fatalf("put %q got %q", tok.Sealed, got.Sealed)
			}
		}
	})

	t.Run("racing writers agree on one token", func(t *testing.T) {
		f := setup(t)
		const n = 8
		got := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, err := f.store.PutReusableToken(ctx, newReusable("c1", "k", at(0), time.Hour, string(rune('a'+i))))
				if err != nil {
					t.Errorf("put %d: %v", i, err)
					return
				}
				got[i] = string(tok.Sealed)
			}()
		}
		wg.Wait()
		for i := range got {
			if got[i] != got[0] {
				t.Fatalf("writers got different tokens: %q", got)
			}
		}
	})

	t.Run("a token for an unknown client is refused", func(t *testing.T) {
		f := setup(t)
		_, err := f.store.PutReusableToken(ctx, newReusable("ghost", "k", at(0), time.Hour, "x"))
		wantCode(t, "PutReusableToken", err, gatehouse.ENOTFOUND)
	})

	t.Run("an invalid token is refused", func(t *testing.T) {
		f := setup(t)
		_, err := f.store.PutReusableToken(ctx, newReusable("c1", "k", at(0), 0, "x"))
		wantCode(t, "PutReusableToken", err, gatehouse.EINVALID)
	})

	t.Run("expired tokens are pruned", func(t *testing.T) {
		f := setup(t)
		_, err := f.store.PutReusableToken(ctx, newReusable("c1", "old", at(0), time.Hour, "old"))
		must(t, "put old", err)
		_, err = f.store.PutReusableToken(ctx, newReusable("c1", "new", at(0), 3*time.Hour, "new"))
		must(t, "put new", err)
		must(t, "DeleteExpiredReusableTokens", f.store.DeleteExpiredReusableTokens(ctx, at(2*time.Hour)))
		_, err = f.store.ReusableToken(ctx, "c1", "old")
		wantCode(t, "load pruned", err, gatehouse.ENOTFOUND)
		_, err = f.store.ReusableToken(ctx, "c1", "new")
		must(t, "load kept", err)
	})
}
