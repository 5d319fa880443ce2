package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse"
)

// testClientKeys checks that a client's private_key_jwt keys are kept, and
// that used assertions are single-use.
func testClientKeys(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("a client's JWK Set and PEM key read back and can be replaced and removed", func(t *testing.T) {
		f := newFixture(t, newStore)
		jwks, pemText := testPublicKeys(t)
		c := newClient("keyed", gatehouse.EnvSandbox, f.account.ID)
		c.JWKS = jwks
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if got.JWKS != jwks || got.PublicKeyPEM != "" {
			t.Fatalf("after create: JWKS %q, PEM %q; want the JWK Set and no PEM", got.JWKS, got.PublicKeyPEM)
		}
		got.JWKS, got.PublicKeyPEM = "", pemText
		must(t, "UpdateClient to a PEM key", f.store.UpdateClient(ctx, got))
		got, err = f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if got.JWKS != "" || got.PublicKeyPEM != pemText {
			t.Fatalf("after update: JWKS %q, PEM %q; want no JWK Set and the PEM key", got.JWKS, got.PublicKeyPEM)
		}
		got.PublicKeyPEM = ""
		must(t, "UpdateClient without keys", f.store.UpdateClient(ctx, got))
		got, err = f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if got.HasAssertionKeys() {
			t.Fatalf("after removal the client still has keys: JWKS %q, PEM %q", got.JWKS, got.PublicKeyPEM)
		}
	})

	t.Run("a client with a private key among its keys is refused as invalid", func(t *testing.T) {
		f := newFixture(t, newStore)
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		b, err := jose.JSONWebKey{Key: priv}.MarshalJSON()
		must(t, "marshal private JWK", err)
		c := newClient("leaky", gatehouse.EnvSandbox, f.account.ID)
		c.JWKS = `{"keys":[` + string(b) + `]}`
		wantCode(t, "CreateClient with a private JWK", f.store.CreateClient(ctx, c), gatehouse.EINVALID)
	})

	t.Run("an assertion id is accepted once per client until it expires", func(t *testing.T) {
		s := newStore(t)
		exp := at(5 * time.Minute)
		must(t, "first use", s.UseAssertion(ctx, "client-a", "jti-1", exp, at(0)))
		wantCode(t, "second use", s.UseAssertion(ctx, "client-a", "jti-1", exp, at(time.Minute)), gatehouse.ECONFLICT)
		must(t, "the same jti of another client", s.UseAssertion(ctx, "client-b", "jti-1", exp, at(0)))
		must(t, "the jti again once the first record expired", s.UseAssertion(ctx, "client-a", "jti-1", at(20*time.Minute), at(6*time.Minute)))
		wantCode(t, "and again", s.UseAssertion(ctx, "client-a", "jti-1", at(20*time.Minute), at(7*time.Minute)), gatehouse.ECONFLICT)
	})

	t.Run("expired assertion records are deleted, live ones kept", func(t *testing.T) {
		s := newStore(t)
		must(t, "use old", s.UseAssertion(ctx, "c", "old", at(time.Minute), at(0)))
		must(t, "use new", s.UseAssertion(ctx, "c", "new", at(time.Hour), at(0)))
		must(t, "DeleteExpiredAssertions", s.DeleteExpiredAssertions(ctx, at(2*time.Minute)))
		// The deleted record no longer counts even for a clock that has not
		// seen it expire; the live one still does.
		must(t, "reuse of the deleted jti", s.UseAssertion(ctx, "c", "old", at(time.Hour), at(0)))
		wantCode(t, "reuse of the live jti", s.UseAssertion(ctx, "c", "new", at(time.Hour), at(0)), gatehouse.ECONFLICT)
	})

	t.Run("of many concurrent uses of one assertion exactly one succeeds", func(t *testing.T) {
		s := newStore(t)
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.UseAssertion(ctx, "c", "raced", at(time.Hour), at(0))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case gatehouse.ErrorCode(err) != gatehouse.ECONFLICT:
				t.Errorf("UseAssertion: %v, want nil or a conflict", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d concurrent uses succeeded, want exactly 1", ok, n)
		}
	})
}

// testPublicKeys returns an Ed25519 public key as a JWK Set, and another
// one as a PEM PUBLIC KEY block.
func testPublicKeys(t *testing.T) (jwks, pemText string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	must(t, "generate key", err)
	jwks, err = gatehouse.PublicJWKS([]jose.JSONWebKey{{Key: pub, KeyID: "k1", Use: "sig"}})
	must(t, "encode JWK Set", err)
	pub2, _, err := ed25519.GenerateKey(rand.Reader)
	must(t, "generate key", err)
	der, err := x509.MarshalPKIXPublicKey(pub2)
	must(t, "encode public key", err)
	return jwks, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}
