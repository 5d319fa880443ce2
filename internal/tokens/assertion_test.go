package tokens_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// clientKey is a private key a test client signs assertions with.
type clientKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSAKey returns one 2048-bit RSA key for the whole test binary:
// generating one takes a while.
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() { rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048) })
	if rsaKey == nil {
		t.Fatal("no RSA key")
	}
	return rsaKey
}

func newClientKey(t testing.TB, kid string, alg jose.SignatureAlgorithm) clientKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case jose.RS256, jose.PS256:
		priv = testRSAKey(t)
	}
	if err != nil || priv == nil {
		t.Fatalf("generate %s key: %v", alg, err)
	}
	return clientKey{kid: kid, alg: alg, priv: priv}
}

// sign returns a compact JWS of claims with the key's kid in the header.
func (k clientKey) sign(t testing.TB, claims any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// registerKeys gives client c the public halves of keys as a JWK Set and
// makes the cache see it.
func (f *fixture) registerKeys(t testing.TB, c *gatehouse.Client, keys ...clientKey) *gatehouse.Client {
	t.Helper()
	jwks := make([]jose.JSONWebKey, len(keys))
	for i, k := range keys {
		jwks[i] = jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Use: "sig"}
	}
	set, err := gatehouse.PublicJWKS(jwks)
	if err != nil {
		t.Fatal(err)
	}
	return f.setClientKeys(t, c, set, "")
}

func (f *fixture) setClientKeys(t testing.TB, c *gatehouse.Client, jwks, pemText string) *gatehouse.Client {
	t.Helper()
	ctx := context.Background()
	stored, err := f.store.Client(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored.JWKS, stored.PublicKeyPEM = jwks, pemText
	if err := f.store.UpdateClient(ctx, stored); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return stored
}

var jtiCounter struct {
	sync.Mutex
	n int
}

// assertionClaims returns valid assertion claims of client id for the
// sandbox token endpoint at now, with a fresh jti.
func assertionClaims(id string, now time.Time) jwt.Claims {
	jtiCounter.Lock()
	jtiCounter.n++
	n := jtiCounter.n
	jtiCounter.Unlock()
	return jwt.Claims{
		Issuer: id, Subject: id,
		Audience: jwt.Audience{issuerBase + "sandbox/protocol/openid-connect/token"},
		Expiry:   jwt.NewNumericDate(now.Add(time.Minute)),
		IssuedAt: jwt.NewNumericDate(now),
		ID:       "jti-" + strconv.Itoa(n),
	}
}

// assertionRequest is a token request authenticated by assertion.
func (f *fixture) assertionRequest(assertion string) *tokens.Request {
	return f.request(func(r *tokens.Request) {
		r.Credentials = tokens.Credentials{Method: tokens.AuthPrivateKeyJWT, Assertion: assertion}
	})
}

func TestPrivateKeyJWTIssuesTokensForEveryAllowedAlgorithm(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256} {
		t.Run(string(alg)+" assertions authenticate the client", func(t *testing.T) {
			f := newFixture(t)
			k := newClientKey(t, "k-"+string(alg), alg)
			f.registerKeys(t, f.sandbox, k)
			tok, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(k.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now()))))
			if oerr != nil {
				t.Fatalf("Issue: %v", oerr)
			}
			if got := claimsOf(t, tok.AccessToken)["client_id"]; got != f.sandbox.ID {
				t.Fatalf("token client_id %v, want %s", got, f.sandbox.ID)
			}
		})
	}
}

func TestPrivateKeyJWTAcceptsTheIssuerAndBothTokenEndpointsAsAudience(t *testing.T) {
	f := newFixture(t)
	k := newClientKey(t, "k1", jose.EdDSA)
	f.registerKeys(t, f.sandbox, k)
	for _, aud := range []string{
		issuerBase + "sandbox",
		issuerBase + "sandbox/protocol/openid-connect/token",
		"https://auth.example.com/auth/realms/sandbox/protocol/openid-connect/token",
	} {
		t.Run("aud "+aud+" is accepted", func(t *testing.T) {
			cl := assertionClaims(f.sandbox.ID, f.clock.Now())
			cl.Audience = jwt.Audience{"https://someone-else.example", aud}
			if _, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(k.sign(t, cl))); oerr != nil {
				t.Fatalf("Issue: %v", oerr)
			}
		})
	}
}

func TestPrivateKeyJWTRefusesBadAssertions(t *testing.T) {
	f := newFixture(t)
	k := newClientKey(t, "k1", jose.ES256)
	f.registerKeys(t, f.sandbox, k)
	other := newClientKey(t, "k1", jose.ES256) // same kid, unregistered key
	unknownKid := k
	unknownKid.kid = "k2"
	f.registerKeys(t, f.prod, newClientKey(t, "p1", jose.EdDSA))
	revoked := f.addClient(t, "sandbox", "revoked-secret", f.sandbox.AccountID, "ledger:read")
	f.registerKeys(t, revoked, k)
	stored, _ := f.store.Client(context.Background(), revoked.ID)
	stored.Status = gatehouse.ClientRevoked
	if err := f.store.UpdateClient(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	noKeys := f.addClient(t, "sandbox", "plain-secret", f.sandbox.AccountID, "ledger:read")
	if err := f.dir.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	publicPEM := func() []byte {
		der, _ := x509.MarshalPKIXPublicKey(k.priv.Public())
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}()

	now := f.clock.Now()
	valid := func() jwt.Claims { return assertionClaims(f.sandbox.ID, now) }
	// The answer is the same for every failure; the log says why, which
	// shows that each case fails for its own reason.
	var logs testenv.Logs
	issuer := tokens.NewIssuer(tokens.Config{
		Directory: f.dir, Store: f.store, IssuerURL: func(env string) string { return issuerBase + env },
		Now: f.clock.Now, Rand: rand.Reader,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	for _, tc := range []struct {
		name      string
		assertion func() string
		clientID  string
		reason    string
	}{
		{"an expired assertion is refused", func() string {
			cl := valid()
			cl.Expiry = jwt.NewNumericDate(now.Add(-tokens.AssertionLeeway - time.Second))
			cl.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Minute))
			return k.sign(t, cl)
		}, "", "has expired"},
		{"an assertion without exp is refused", func() string {
			cl := valid()
			cl.Expiry = nil
			return k.sign(t, cl)
		}, "", "exp is missing"},
		{"an assertion valid for longer than the maximum is refused", func() string {
			cl := valid()
			cl.Expiry = jwt.NewNumericDate(now.Add(tokens.MaxAssertionLifetime + tokens.AssertionLeeway + time.Minute))
			return k.sign(t, cl)
		}, "", "longest assertion lifetime"},
		{"a not-yet-valid assertion (nbf) is refused", func() string {
			cl := valid()
			cl.NotBefore = jwt.NewNumericDate(now.Add(tokens.AssertionLeeway + 10*time.Second))
			cl.Expiry = jwt.NewNumericDate(now.Add(5 * time.Minute))
			return k.sign(t, cl)
		}, "", "not valid yet"},
		{"an assertion issued in the future (iat) is refused", func() string {
			cl := valid()
			cl.IssuedAt = jwt.NewNumericDate(now.Add(tokens.AssertionLeeway + 10*time.Second))
			return k.sign(t, cl)
		}, "", "issued in the future"},
		{"a wrong audience is refused", func() string {
			cl := valid()
			cl.Audience = jwt.Audience{"https://auth.example.com/realms/production/protocol/openid-connect/token"}
			return k.sign(t, cl)
		}, "", "aud names neither"},
		{"no audience is refused", func() string {
			cl := valid()
			cl.Audience = nil
			return k.sign(t, cl)
		}, "", "aud names neither"},
		{"a sub that differs from iss is refused", func() string {
			cl := valid()
			cl.Subject = noKeys.ID
			return k.sign(t, cl)
		}, "", "sub differs from iss"},
		{"iss and sub naming another client signed with this client's key are refused", func() string {
			cl := assertionClaims(noKeys.ID, now)
			return k.sign(t, cl)
		}, "", "no active client of this environment with registered keys"},
		{"a client_id that differs from iss is refused", func() string { return k.sign(t, valid()) }, noKeys.ID, "client_id differs"},
		{"an assertion without jti is refused", func() string {
			cl := valid()
			cl.ID = ""
			return k.sign(t, cl)
		}, "", "jti is missing"},
		{"an unknown kid is refused", func() string { return unknownKid.sign(t, valid()) }, "", "signature does not verify"},
		{"a signature by an unregistered key is refused", func() string { return other.sign(t, valid()) }, "", "signature does not verify"},
		{"HS256 keyed with the registered public key is refused", func() string {
			return hmacJWT(t, publicPEM, valid(), k.kid)
		}, "", "allowed algorithm"},
		{"HS256 keyed with the registered JWK Set is refused", func() string {
			stored, _ := f.store.Client(context.Background(), f.sandbox.ID)
			return hmacJWT(t, []byte(stored.JWKS), valid(), k.kid)
		}, "", "allowed algorithm"},
		{`alg "none" is refused`, func() string { return unsignedJWT(t, valid()) }, "", "allowed algorithm"},
		{"a client of another environment is refused", func() string {
			cl := assertionClaims(f.prod.ID, now)
			return k.sign(t, cl)
		}, "", "no active client of this environment"},
		{"a revoked client is refused", func() string { return k.sign(t, assertionClaims(revoked.ID, now)) }, "", "no active client of this environment"},
		{"a client without registered keys is refused", func() string { return k.sign(t, assertionClaims(noKeys.ID, now)) }, "", "no active client of this environment"},
		{"garbage is refused", func() string { return "not.a.jwt" }, "", "allowed algorithm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := f.assertionRequest(tc.assertion())
			req.Credentials.ClientID = tc.clientID
			before := len(logs.String())
			_, oerr := issuer.Issue(context.Background(), req)
			if oerr == nil || oerr.Code != tokens.ErrInvalidClient || oerr.Status != 401 {
				t.Fatalf("error = %+v, want invalid_client/401", oerr)
			}
			if oerr.Description != "client authentication failed" {
				t.Errorf("description %q tells why; want the one generic answer", oerr.Description)
			}
			if logged := logs.String()[before:]; !strings.Contains(logged, tc.reason) {
				t.Errorf("logged %q, want the reason %q", logged, tc.reason)
			}
		})
	}
}

func TestPrivateKeyJWTAssertionIsSingleUse(t *testing.T) {
	f := newFixture(t)
	k := newClientKey(t, "k1", jose.EdDSA)
	f.registerKeys(t, f.sandbox, k)
	a := k.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now()))

	t.Run("the first use succeeds and a replay on the same replica fails", func(t *testing.T) {
		if _, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(a)); oerr != nil {
			t.Fatalf("first use: %v", oerr)
		}
		if _, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(a)); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Fatalf("replay: %+v, want invalid_client", oerr)
		}
	})

	t.Run("a replay on another replica sharing the store fails", func(t *testing.T) {
		dir := cache.New(cache.Config{Store: f.store, Now: f.clock.Now})
		if err := dir.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		replica := tokens.NewIssuer(tokens.Config{
			Directory: dir, Store: f.store, IssuerURL: func(env string) string { return issuerBase + env },
			Now: f.clock.Now, Rand: rand.Reader,
		})
		if _, oerr := replica.Issue(context.Background(), f.assertionRequest(a)); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Fatalf("replay on a second replica: %+v, want invalid_client", oerr)
		}
		fresh := k.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now()))
		if _, oerr := replica.Issue(context.Background(), f.assertionRequest(fresh)); oerr != nil {
			t.Fatalf("a fresh assertion on the second replica: %v", oerr)
		}
	})

	t.Run("of concurrent uses of one assertion exactly one succeeds", func(t *testing.T) {
		b := k.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now()))
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(b)); oerr == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d of 20 concurrent uses succeeded, want 1", ok)
		}
	})

	t.Run("an assertion accepted now is refused once the clock passes its exp", func(t *testing.T) {
		c := k.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now()))
		f.clock.Add(time.Minute + tokens.AssertionLeeway + time.Second)
		if err := f.dir.Refresh(context.Background()); err != nil { // the cache stays fresh
			t.Fatal(err)
		}
		if _, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(c)); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Fatalf("expired: %+v, want invalid_client", oerr)
		}
	})
}

func TestPrivateKeyJWTWithAPEMKeyAndForIntrospection(t *testing.T) {
	f := newFixture(t)
	k := newClientKey(t, "", jose.RS256)
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	f.setClientKeys(t, f.sandbox, "", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	tok, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(k.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now()))))
	if oerr != nil {
		t.Fatalf("Issue with a PEM-registered key and no kid: %v", oerr)
	}
	caller := tokens.Credentials{Method: tokens.AuthPrivateKeyJWT, ClientID: f.sandbox.ID,
		Assertion: k.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now()))}
	res, oerr := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken)
	if oerr != nil || !res.Active {
		t.Fatalf("Introspect authenticated by assertion: %+v, %v; want active", res, oerr)
	}
}

func TestPrivateKeyJWTWithAPEMKeyAndAKidOfItsOwn(t *testing.T) {
	f := newFixture(t)
	k := newClientKey(t, "my-own-kid", jose.ES256)
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	f.setClientKeys(t, f.sandbox, "", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	if _, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(k.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now())))); oerr != nil {
		t.Fatalf("a PEM-registered key signing with a kid of its own: %v", oerr)
	}
	stranger := newClientKey(t, "my-own-kid", jose.ES256)
	if _, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(stranger.sign(t, assertionClaims(f.sandbox.ID, f.clock.Now())))); oerr == nil {
		t.Fatal("an unregistered key with the same kid was accepted")
	}
}

// hmacJWT returns an HS256 JWT keyed with secret: what an attacker makes of
// a public key in the hope that it is used as an HMAC secret.
func hmacJWT(t *testing.T, secret []byte, claims jwt.Claims, kid string) string {
	t.Helper()
	head := b64json(t, map[string]string{"alg": "HS256", "typ": "JWT", "kid": kid})
	input := head + "." + b64json(t, claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// unsignedJWT returns an alg "none" JWT.
func unsignedJWT(t *testing.T, claims jwt.Claims) string {
	t.Helper()
	return b64json(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64json(t, claims) + "."
}

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// FuzzAssertion feeds arbitrary client assertions to the core: nothing
// panics and nothing authenticates, since no input can carry a signature of
// the registered key.
func FuzzAssertion(f *testing.F) {
	fx := newFixture(f)
	k := newClientKey(f, "k1", jose.EdDSA)
	fx.registerKeys(f, fx.sandbox, k)
	valid := k.sign(f, assertionClaims(fx.sandbox.ID, fx.clock.Now()))
	head, rest, _ := strings.Cut(valid, ".")
	f.Add(head + "." + rest + "x")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("e30.e30.e30")
	f.Add("a.b.c.d.e")
	f.Fuzz(func(t *testing.T, assertion string) {
		if assertion == valid {
			return
		}
		_, _, oerr := fx.issuer.Authenticate("sandbox", tokens.Credentials{Method: tokens.AuthPrivateKeyJWT, Assertion: assertion}, here)
		if oerr == nil {
			t.Fatalf("assertion %q authenticated", assertion)
		}
	})
}

// BenchmarkIssueWithPrivateKeyJWT measures a token request authenticated by
// an EdDSA assertion: signature check plus the single-use write to SQLite.
func BenchmarkIssueWithPrivateKeyJWT(b *testing.B) {
	f := newFixture(b)
	k := newClientKey(b, "k1", jose.EdDSA)
	f.registerKeys(b, f.sandbox, k)
	assertions := make([]string, b.N)
	for i := range assertions {
		assertions[i] = k.sign(b, assertionClaims(f.sandbox.ID, f.clock.Now()))
	}
	b.ResetTimer()
	for i := range b.N {
		if _, oerr := f.issuer.Issue(context.Background(), f.assertionRequest(assertions[i])); oerr != nil {
			b.Fatal(oerr)
		}
	}
}
