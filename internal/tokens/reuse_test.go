package tokens_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// withReuse turns reuse on for the fixture's sandbox client with lifetime.
func (f *fixture) withReuse(t *testing.T, lifetime time.Duration) {
	t.Helper()
	ctx := context.Background()
	c, err := f.store.Client(ctx, f.sandbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	on := true
	c.Tokens.Reuse, c.Tokens.Lifetime = &on, &lifetime
	if err := f.store.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}

// replica returns another issuer on the fixture's store and clock, as a
// restarted server or a second replica would have.
func (f *fixture) replica(t *testing.T) *tokens.Issuer {
	t.Helper()
	d := cache.New(cache.Config{Store: f.store, Now: f.clock.Now})
	if err := d.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return tokens.NewIssuer(tokens.Config{
		Directory: d, Store: f.store, IssuerURL: func(env string) string { return issuerBase + env },
		Now: f.clock.Now, Rand: rand.Reader,
	})
}

func TestReuseReturnsTheSameTokenWithTheRemainingLifetime(t *testing.T) {
	f := newFixture(t)
	f.withReuse(t, 90*24*time.Hour)
	ctx := context.Background()
	first, oerr := f.issuer.Issue(ctx, f.request(nil))
	if oerr != nil {
		t.Fatal(oerr)
	}
	if first.ExpiresIn != 90*24*3600 {
		t.Fatalf("expires_in = %d", first.ExpiresIn)
	}
	f.clock.Add(10 * 24 * time.Hour)
	f.dir.Refresh(ctx)
	again, oerr := f.issuer.Issue(ctx, f.request(nil))
	if oerr != nil {
		t.Fatal(oerr)
	}
	if again.AccessToken != first.AccessToken || again.ExpiresIn != 80*24*3600 {
		t.Fatalf("second request got a different token or expires_in %d", again.ExpiresIn)
	}

	t.Run("another scope gets its own token", func(t *testing.T) {
		other, oerr := f.issuer.Issue(ctx, f.request(func(r *tokens.Request) { r.Scope = "ledger:read" }))
		if oerr != nil || other.AccessToken == first.AccessToken {
			t.Fatalf("scope ledger:read got %v, %v", other, oerr)
		}
	})

	t.Run("a restarted server returns the same token", func(t *testing.T) {
		after, oerr := f.replica(t).Issue(ctx, f.request(nil))
		if oerr != nil || after.AccessToken != first.AccessToken || after.ExpiresIn != 80*24*3600 {
			t.Fatalf("after restart: %+v, %v", after, oerr)
		}
	})

	t.Run("an expired token is replaced and the old one is inactive", func(t *testing.T) {
		f.clock.Add(80 * 24 * time.Hour)
		f.dir.Refresh(ctx)
		fresh, oerr := f.issuer.Issue(ctx, f.request(nil))
		if oerr != nil || fresh.AccessToken == first.AccessToken || fresh.ExpiresIn != 90*24*3600 {
			t.Fatalf("after expiry: %+v, %v", fresh, oerr)
		}
		caller := tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.sandbox.ID, Secret: "sandbox-secret"}
		if res, _ := f.issuer.Introspect("sandbox", caller, here, first.AccessToken); res.Active {
			t.Fatal("the replaced token still introspects as active")
		}
		stored, err := f.store.ReusableToken(ctx, f.sandbox.ID, sandboxReuseKey(f))
		if err != nil || !stored.ExpiresAt.Equal(fresh.ExpiresAt) {
			t.Fatalf("the stored token was not replaced: %+v, %v", stored, err)
		}
	})
}

// sandboxReuseKey is the reuse key of the sandbox client's full-scope token.
func sandboxReuseKey(f *fixture) string {
	return tokens.ReuseKeyForTest(f.sandbox.Secrets[0].ID, gatehouse.TokenFormatJWT, "ledger:read ledger:write", issuerBase+"sandbox")
}

func TestReuseUnderConcurrentIdenticalRequests(t *testing.T) {
	f := newFixture(t)
	f.withReuse(t, time.Hour)
	const n = 100
	got := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, oerr := f.issuer.Issue(context.Background(), f.request(nil))
			if oerr != nil {
				t.Errorf("request %d: %v", k, oerr)
				return
			}
			got[k] = tok.AccessToken
		}()
	}
	close(start)
	wg.Wait()
	for k := range got {
		if got[k] != got[0] {
			t.Fatalf("request %d got a different token", k)
		}
	}
}

func TestReplicasAgreeOnOneReusableToken(t *testing.T) {
	f := newFixture(t)
	f.withReuse(t, time.Hour)
	a, b := f.replica(t), f.replica(t)
	var wg sync.WaitGroup
	var ta, tb *tokens.Token
	wg.Add(2)
	go func() { defer wg.Done(); ta, _ = a.Issue(context.Background(), f.request(nil)) }()
	go func() { defer wg.Done(); tb, _ = b.Issue(context.Background(), f.request(nil)) }()
	wg.Wait()
	if ta == nil || tb == nil || ta.AccessToken != tb.AccessToken {
		t.Fatal("two replicas issued different reusable tokens for the same request")
	}
}

func TestReuseIsOffByDefaultForJWTEnvironments(t *testing.T) {
	f := newFixture(t)
	a, _ := f.issuer.Issue(context.Background(), f.request(nil))
	b, _ := f.issuer.Issue(context.Background(), f.request(nil))
	if a.AccessToken == b.AccessToken {
		t.Fatal("reuse is on without being asked for")
	}
}

func TestStoredReusableTokensAreSealed(t *testing.T) {
	f := newFixture(t)
	f.withReuse(t, time.Hour)
	tok, _ := f.issuer.Issue(context.Background(), f.request(nil))
	stored, err := f.store.ReusableToken(context.Background(), f.sandbox.ID, sandboxReuseKey(f))
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Sealed) == 0 || containsBytes(stored.Sealed, []byte(tok.AccessToken[:40])) {
		t.Fatal("the database holds the token in the clear")
	}
}

func containsBytes(h, n []byte) bool {
	for i := 0; i+len(n) <= len(h); i++ {
		if string(h[i:i+len(n)]) == string(n) {
			return true
		}
	}
	return false
}
