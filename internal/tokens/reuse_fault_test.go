package tokens_test

import (
	"context"
	"crypto/rand"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// downStore is a store whose reusable-token table can be made unreachable,
// as it is during a database outage.
type downStore struct {
	gatehouse.Store
	down atomic.Bool
}

func (s *downStore) ReusableToken(ctx context.Context, clientID, key string) (*gatehouse.ReusableToken, error) {
	if s.down.Load() {
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the database is unavailable")
	}
	return s.Store.ReusableToken(ctx, clientID, key)
}

func (s *downStore) PutReusableToken(ctx context.Context, t *gatehouse.ReusableToken) (*gatehouse.ReusableToken, error) {
	if s.down.Load() {
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the database is unavailable")
	}
	return s.Store.PutReusableToken(ctx, t)
}

func TestReuseWithTheStoreDownIssuesAFreshTokenAndResumesWhenItIsBack(t *testing.T) {
	f := newFixture(t)
	f.withReuse(t, 90*24*time.Hour)
	st := &downStore{Store: f.store}
	issuer := tokens.NewIssuer(tokens.Config{
		Directory: f.dir, Store: st, IssuerURL: func(env string) string { return issuerBase + env },
		Now: f.clock.Now, Rand: rand.Reader, MaxStaleness: time.Minute,
	})
	ctx := context.Background()

	st.down.Store(true)
	first, oerr := issuer.Issue(ctx, f.request(nil))
	if oerr != nil {
		t.Fatalf("first reusable token with the store down: %v; want a fresh token", oerr)
	}
	second, oerr := issuer.Issue(ctx, f.request(nil))
	if oerr != nil {
		t.Fatalf("second request with the store down: %v", oerr)
	}
	caller := tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.sandbox.ID, Secret: "sandbox-secret"}
	for _, tok := range []*tokens.Token{first, second} {
		if res, oerr := issuer.Introspect("sandbox", caller, here, tok.AccessToken); oerr != nil || !res.Active {
			t.Fatalf("a token issued during the outage is not active: %+v, %v", res, oerr)
		}
	}

	st.down.Store(false)
	recorded, oerr := issuer.Issue(ctx, f.request(nil))
	if oerr != nil {
		t.Fatal(oerr)
	}
	if recorded.AccessToken == first.AccessToken || recorded.AccessToken == second.AccessToken {
		t.Fatal("a token issued while the store was down became the reusable token: it was never recorded")
	}
	if _, err := f.store.ReusableToken(ctx, f.sandbox.ID, sandboxReuseKey(f)); err != nil {
		t.Fatalf("once the store is back the reusable token is not recorded: %v", err)
	}
	again, oerr := f.replica(t).Issue(ctx, f.request(nil))
	if oerr != nil || again.AccessToken != recorded.AccessToken {
		t.Fatalf("reuse did not resume: another replica got %v, %v", again, oerr)
	}
}
