package tokens_test

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// rehashCalls records the re-hashes an issuer asks for.
type rehashCalls struct {
	mu    sync.Mutex
	calls []int64
	fail  bool
}

func (r *rehashCalls) rehash(_ context.Context, _ string, secretID int64, imported string, hash [32]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, secretID)
	if r.fail {
		return errors.New("store down")
	}
	return nil
}

func (r *rehashCalls) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.calls) }

// importedClient adds a sandbox client whose one secret is stored under
// bcrypt, as an import leaves it, and returns an issuer with a memo and rh.
func importedClient(tb testing.TB, f *fixture, secret string, rh *rehashCalls) (*gatehouse.Client, *tokens.Issuer) {
	tb.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
	if err != nil {
		tb.Fatal(err)
	}
	c := f.addClient(tb, "sandbox", "unused", f.sandbox.AccountID, "ledger:read")
	c.Secrets[0].Hash, c.Secrets[0].Imported = [32]byte{}, string(b)
	if err := f.store.UpdateClient(context.Background(), c); err != nil {
		tb.Fatal(err)
	}
	f.dir.Refresh(context.Background())
	memo, err := gatehouse.NewSecretMemo(rand.Reader, 0)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := tokens.Config{
		Directory: f.dir, Store: f.store, IssuerURL: func(env string) string { return issuerBase + env },
		Now: f.clock.Now, Rand: rand.Reader, SecretMemo: memo,
	}
	if rh != nil {
		cfg.Rehash = rh.rehash
	}
	return c, tokens.NewIssuer(cfg)
}

const strongImported = "Kq7Vw2mZ9xLp4TtR8yBn3HcJ6sFd1GgE5aUoWiYk"

func TestImportedSecretIsRehashedOnceOnFirstUse(t *testing.T) {
	f := newFixture(t)
	rh := &rehashCalls{}
	c, issuer := importedClient(t, f, strongImported, rh)
	req := f.request(func(r *tokens.Request) {
		r.Credentials.ClientID, r.Credentials.Secret, r.Scope = c.ID, strongImported, ""
	})
	bad := f.request(func(r *tokens.Request) { r.Credentials.ClientID, r.Credentials.Secret = c.ID, strongImported+"x" })
	if _, oerr := issuer.Issue(context.Background(), bad); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
		t.Fatalf("a wrong secret: %v", oerr)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, oerr := issuer.Issue(context.Background(), req); oerr != nil {
				t.Error(oerr)
			}
		})
	}
	wg.Wait()
	issuer.WaitRehashes()
	if n := rh.count(); n != 1 {
		t.Fatalf("%d re-hashes for one secret, want 1", n)
	}
}

func TestFailedRehashIsRetriedOnNextUse(t *testing.T) {
	f := newFixture(t)
	rh := &rehashCalls{fail: true}
	c, issuer := importedClient(t, f, strongImported, rh)
	req := f.request(func(r *tokens.Request) {
		r.Credentials.ClientID, r.Credentials.Secret, r.Scope = c.ID, strongImported, ""
	})
	for i := 1; i <= 2; i++ {
		if _, oerr := issuer.Issue(context.Background(), req); oerr != nil {
			t.Fatal(oerr)
		}
		issuer.WaitRehashes()
		if n := rh.count(); n != i {
			t.Fatalf("after use %d: %d re-hash attempts", i, n)
		}
	}
}

func TestWeakImportedSecretStaysUnderItsSlowHash(t *testing.T) {
	f := newFixture(t)
	rh := &rehashCalls{}
	c, issuer := importedClient(t, f, "hunter2-weak", rh)
	req := f.request(func(r *tokens.Request) {
		r.Credentials.ClientID, r.Credentials.Secret, r.Scope = c.ID, "hunter2-weak", ""
	})
	if _, oerr := issuer.Issue(context.Background(), req); oerr != nil {
		t.Fatal(oerr)
	}
	issuer.WaitRehashes()
	if n := rh.count(); n != 0 {
		t.Fatalf("a weak secret was re-hashed into a fast hash (%d calls)", n)
	}
}

// BenchmarkIssueImportedSecret compares, in one run, token requests of a
// native client with those of a client whose secret is still under an
// imported bcrypt hash (cost 10), after its first request: the memo makes
// the difference vanish.
func BenchmarkIssueImportedSecret(b *testing.B) {
	f := newFixture(b)
	c, issuer := importedClient(b, f, "hunter2-weak", nil) // weak: stays under bcrypt
	imported := f.request(func(r *tokens.Request) {
		r.Credentials.ClientID, r.Credentials.Secret, r.Scope = c.ID, "hunter2-weak", ""
	})
	native := f.request(nil)
	ctx := context.Background()
	if _, oerr := issuer.Issue(ctx, imported); oerr != nil { // the first, slow, request
		b.Fatal(oerr)
	}
	for _, bc := range []struct {
		name string
		req  *tokens.Request
	}{{"native", native}, {"bcrypt-imported", imported}, {"native-again", native}, {"bcrypt-imported-again", imported}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, oerr := issuer.Issue(ctx, bc.req); oerr != nil {
					b.Fatal(oerr)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
