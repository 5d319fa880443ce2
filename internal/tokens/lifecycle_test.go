package tokens_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// newKeyring returns a keyring with a fresh random master key, and the key.
func newKeyring(tb testing.TB) (*masterkey.Keyring, []byte) {
	tb.Helper()
	key := make([]byte, masterkey.Size)
	rand.Read(key)
	k, err := masterkey.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	return k, key
}

// issuerWith returns an issuer on the fixture's directory, store and clock
// with the master key k (nil for none).
func (f *fixture) issuerWith(k *masterkey.Keyring) *tokens.Issuer {
	return tokens.NewIssuer(tokens.Config{
		Directory: f.dir, Store: f.store, IssuerURL: func(env string) string { return issuerBase + env },
		Now: f.clock.Now, Rand: rand.Reader, MaxStaleness: time.Minute, MasterKey: k,
		Logger: slog.New(slog.DiscardHandler),
	})
}

// setEnvironment changes the stored environment with mod and refreshes the
// cache.
func (f *fixture) setEnvironment(tb testing.TB, name string, mod func(e *gatehouse.Environment)) {
	tb.Helper()
	ctx := context.Background()
	e, err := f.store.Environment(ctx, name)
	if err != nil {
		tb.Fatal(err)
	}
	mod(e)
	if err := f.store.UpdateEnvironment(ctx, e); err != nil {
		tb.Fatal(err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		tb.Fatal(err)
	}
}

func (f *fixture) opaqueSandbox(tb testing.TB) {
	tb.Helper()
	f.setEnvironment(tb, "sandbox", func(e *gatehouse.Environment) { e.Tokens.Format = gatehouse.TokenFormatOpaque })
}

func (f *fixture) caller() tokens.Credentials {
	return tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.sandbox.ID, Secret: "sandbox-secret"}
}

func active(t *testing.T, iss *tokens.Issuer, f *fixture, env, token string) bool {
	t.Helper()
	res, oerr := iss.Introspect(env, f.caller(), here, token)
	if env != "sandbox" {
		res, oerr = iss.Introspect(env, tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.prod.ID, Secret: "prod-secret"}, here, token)
	}
	if oerr != nil {
		t.Fatalf("introspect: %v", oerr)
	}
	return res.Active
}

func TestOpaqueTokens(t *testing.T) {
	ctx := context.Background()

	t.Run("an opaque environment issues prefixed tokens that carry at least 256 random bits and introspect as active", func(t *testing.T) {
		f := newFixture(t)
		k, _ := newKeyring(t)
		iss := f.issuerWith(k)
		f.opaqueSandbox(t)
		tok, oerr := iss.Issue(ctx, f.request(nil))
		if oerr != nil {
			t.Fatal(oerr)
		}
		v := tok.AccessToken
		if !strings.HasPrefix(v, tokens.OpaquePrefix) || strings.Count(v, ".") != 0 {
			t.Fatalf("token %q is not an opaque token", v)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, tokens.OpaquePrefix))
		if err != nil {
			t.Fatal(err)
		}
		// 24 bytes of random nonce plus a 16-byte random jti inside: 320 bits.
		if len(raw) < 1+4+24+16+16 {
			t.Fatalf("token has %d bytes, too few to hold its randomness", len(raw))
		}
		if strings.Contains(string(raw), f.sandbox.ID) {
			t.Fatal("the token shows the client id in clear")
		}
		res, oerr := iss.Introspect("sandbox", f.caller(), here, v)
		if oerr != nil || !res.Active || res.ClientID != f.sandbox.ID || res.Scope != "ledger:read ledger:write" ||
			res.Issuer != issuerBase+"sandbox" || res.ExpiresAt != f.clock.Now().Unix()+300 || res.ID == "" {
			t.Fatalf("introspection = %+v, %v", res, oerr)
		}
		again, _ := iss.Issue(ctx, f.request(nil))
		if again.AccessToken == v {
			t.Fatal("two opaque tokens are equal")
		}
	})

	t.Run("a client override makes one client's tokens opaque in a JWT environment", func(t *testing.T) {
		f := newFixture(t)
		k, _ := newKeyring(t)
		iss := f.issuerWith(k)
		c, _ := f.store.Client(ctx, f.sandbox.ID)
		format := gatehouse.TokenFormatOpaque
		c.Tokens.Format = &format
		if err := f.store.UpdateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		f.dir.Refresh(ctx)
		tok, oerr := iss.Issue(ctx, f.request(nil))
		if oerr != nil || !strings.HasPrefix(tok.AccessToken, tokens.OpaquePrefix) {
			t.Fatalf("token %v, %v; want an opaque token", tok, oerr)
		}
		prod, oerr := iss.Issue(ctx, f.request(func(r *tokens.Request) {
			r.Environment = "production"
			r.Credentials = tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.prod.ID, Secret: "prod-secret"}
		}))
		if oerr != nil || strings.Count(prod.AccessToken, ".") != 2 {
			t.Fatalf("another client's token %v, %v; want a JWT", prod, oerr)
		}
	})

	t.Run("issuing and introspecting opaque tokens for a client in memory needs no database", func(t *testing.T) {
		f := newFixture(t)
		k, _ := newKeyring(t)
		iss := f.issuerWith(k)
		f.opaqueSandbox(t)
		if _, oerr := iss.Issue(ctx, f.request(nil)); oerr != nil { // reads the client into memory
			t.Fatal(oerr)
		}
		f.store.Close() // every store call fails from here on
		tok, oerr := iss.Issue(ctx, f.request(nil))
		if oerr != nil {
			t.Fatalf("issue with the store closed: %v", oerr)
		}
		if !active(t, iss, f, "sandbox", tok.AccessToken) {
			t.Fatal("the token is inactive")
		}
	})

	t.Run("an opaque token is inactive where it must be", func(t *testing.T) {
		f := newFixture(t)
		k, _ := newKeyring(t)
		iss := f.issuerWith(k)
		f.opaqueSandbox(t)
		tok, _ := iss.Issue(ctx, f.request(nil))
		v := tok.AccessToken
		raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, tokens.OpaquePrefix))
		raw[len(raw)/2] ^= 0x01
		flipped := tokens.OpaquePrefix + base64.RawURLEncoding.EncodeToString(raw)
		other, _ := newKeyring(t)
		cases := []struct {
			name  string
			iss   *tokens.Issuer
			env   string
			token string
		}{
			{"in another environment", iss, "production", v},
			{"with one bit flipped", iss, "sandbox", flipped},
			{"cut short", iss, "sandbox", v[:len(v)-10]},
			{"as the bare prefix", iss, "sandbox", tokens.OpaquePrefix},
			{"at a server with another master key", f.issuerWith(other), "sandbox", v},
			{"at a server without a master key", f.issuerWith(nil), "sandbox", v},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if active(t, tc.iss, f, tc.env, tc.token) {
					t.Fatal("the token is active")
				}
			})
		}
	})

	t.Run("an opaque token expires with the clock", func(t *testing.T) {
		f := newFixture(t)
		k, _ := newKeyring(t)
		iss := f.issuerWith(k)
		f.opaqueSandbox(t)
		tok, _ := iss.Issue(ctx, f.request(nil))
		f.clock.Add(299 * time.Second)
		f.dir.Refresh(ctx)
		if !active(t, iss, f, "sandbox", tok.AccessToken) {
			t.Fatal("inactive a second before it expires")
		}
		f.clock.Add(time.Second)
		f.dir.Refresh(ctx)
		if active(t, iss, f, "sandbox", tok.AccessToken) {
			t.Fatal("active when it expires")
		}
	})

	t.Run("tokens sealed before a master-key rotation stay valid after it", func(t *testing.T) {
		f := newFixture(t)
		oldRing, oldKey := newKeyring(t)
		f.opaqueSandbox(t)
		tok, _ := f.issuerWith(oldRing).Issue(ctx, f.request(nil))
		newKey := make([]byte, masterkey.Size)
		rand.Read(newKey)
		rotated, err := masterkey.New(newKey, oldKey)
		if err != nil {
			t.Fatal(err)
		}
		iss := f.issuerWith(rotated)
		if !active(t, iss, f, "sandbox", tok.AccessToken) {
			t.Fatal("a token sealed under the previous master key is inactive")
		}
		fresh, _ := iss.Issue(ctx, f.request(nil))
		if active(t, f.issuerWith(oldRing), f, "sandbox", fresh.AccessToken) {
			t.Fatal("a token sealed under the new key opens with the old one alone")
		}
	})

	t.Run("an opaque token without a master key is a server error, not a JWT", func(t *testing.T) {
		f := newFixture(t)
		f.opaqueSandbox(t)
		_, oerr := f.issuerWith(nil).Issue(ctx, f.request(nil))
		if oerr == nil || oerr.Code != tokens.ErrServerError {
			t.Fatalf("error %v, want server_error", oerr)
		}
	})
}

func TestTokensNameTheSecretTheyWereIssuedWith(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, oerr := f.issuer.Issue(ctx, f.request(nil))
	if oerr != nil {
		t.Fatal(oerr)
	}
	want := float64(f.sandbox.Secrets[0].ID)
	if got := claimsOf(t, tok.AccessToken)["secret_id"]; got != want {
		t.Fatalf("secret_id = %v, want %v", got, want)
	}
}

// addSecret gives the fixture's sandbox client a second secret.
func (f *fixture) addSecret(tb testing.TB, secret string) int64 {
	tb.Helper()
	ctx := context.Background()
	c, _ := f.store.Client(ctx, f.sandbox.ID)
	c.Secrets = append(c.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret(secret), CreatedAt: f.clock.Now()})
	if err := f.store.UpdateClient(ctx, c); err != nil {
		tb.Fatal(err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		tb.Fatal(err)
	}
	c, _ = f.store.Client(ctx, f.sandbox.ID)
	return c.Secrets[len(c.Secrets)-1].ID
}

func TestRevocationSticks(t *testing.T) {
	ctx := context.Background()
	for _, format := range []string{gatehouse.TokenFormatJWT, gatehouse.TokenFormatOpaque} {
		t.Run("revoking a secret makes its "+format+" tokens inactive and leaves the other secret's alone", func(t *testing.T) {
			f := newFixture(t)
			k, _ := newKeyring(t)
			iss := f.issuerWith(k)
			f.setEnvironment(t, "sandbox", func(e *gatehouse.Environment) { e.Tokens.Format = format })
			f.addSecret(t, "second-secret")
			first, _ := iss.Issue(ctx, f.request(nil))
			second, oerr := iss.Issue(ctx, f.request(func(r *tokens.Request) { r.Credentials.Secret = "second-secret" }))
			if oerr != nil {
				t.Fatal(oerr)
			}
			// Introspect both once, so that they sit in the verified cache.
			caller := tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.sandbox.ID, Secret: "second-secret"}
			for _, v := range []string{first.AccessToken, second.AccessToken} {
				if res, _ := iss.Introspect("sandbox", caller, here, v); !res.Active {
					t.Fatal("a fresh token is inactive")
				}
			}
			if _, err := f.store.RevokeSecret(ctx, f.sandbox.ID, f.sandbox.Secrets[0].ID, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if err := f.dir.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if res, _ := iss.Introspect("sandbox", caller, here, first.AccessToken); res.Active {
				t.Fatal("a token of the revoked secret is still active")
			}
			if res, _ := iss.Introspect("sandbox", caller, here, second.AccessToken); !res.Active {
				t.Fatal("a token of the other secret became inactive")
			}
			if _, oerr := iss.Issue(ctx, f.request(nil)); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
				t.Fatalf("the revoked secret still gets tokens: %v", oerr)
			}
			// A restarted server (a fresh cache) knows it too.
			restarted := f.replica(t)
			if res, _ := restarted.Introspect("sandbox", caller, here, first.AccessToken); res.Active {
				t.Fatal("after a restart the revoked secret's token is active")
			}
		})
	}

	t.Run("revoking a client makes a token it already introspected inactive at once", func(t *testing.T) {
		f := newFixture(t)
		tok, _ := f.issuer.Issue(ctx, f.request(nil))
		other := f.addClient(t, "sandbox", "other-secret", f.sandbox.AccountID)
		f.dir.Refresh(ctx)
		caller := tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: other.ID, Secret: "other-secret"}
		if res, _ := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken); !res.Active {
			t.Fatal("a fresh token is inactive")
		}
		if _, err := f.store.RevokeClient(ctx, f.sandbox.ID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		f.dir.Refresh(ctx)
		if res, _ := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken); res.Active {
			t.Fatal("the revoked client's token is still active")
		}
	})

	t.Run("a token revoked after it was introspected is inactive at once", func(t *testing.T) {
		f := newFixture(t)
		tok, _ := f.issuer.Issue(ctx, f.request(nil))
		if !active(t, f.issuer, f, "sandbox", tok.AccessToken) {
			t.Fatal("a fresh token is inactive")
		}
		if oerr := f.issuer.Revoke(ctx, "sandbox", f.caller(), here, tok.AccessToken); oerr != nil {
			t.Fatal(oerr)
		}
		if active(t, f.issuer, f, "sandbox", tok.AccessToken) {
			t.Fatal("the revoked token is still active")
		}
	})
}

func TestVerifiedTokenCache(t *testing.T) {
	ctx := context.Background()
	t.Run("a cached token still expires with the clock", func(t *testing.T) {
		f := newFixture(t)
		tok, _ := f.issuer.Issue(ctx, f.request(nil))
		if !active(t, f.issuer, f, "sandbox", tok.AccessToken) || f.issuer.VerifiedLenForTest() != 1 {
			t.Fatal("the token was not verified and cached")
		}
		f.clock.Add(300 * time.Second)
		f.dir.Refresh(ctx)
		if active(t, f.issuer, f, "sandbox", tok.AccessToken) {
			t.Fatal("a cached token is active after it expired")
		}
	})
	t.Run("invalid tokens are not cached", func(t *testing.T) {
		f := newFixture(t)
		active(t, f.issuer, f, "sandbox", "garbage")
		active(t, f.issuer, f, "sandbox", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
		if n := f.issuer.VerifiedLenForTest(); n != 0 {
			t.Fatalf("the cache holds %d tokens", n)
		}
	})
	t.Run("a reloaded environment verifies its tokens afresh", func(t *testing.T) {
		f := newFixture(t)
		tok, _ := f.issuer.Issue(ctx, f.request(nil))
		active(t, f.issuer, f, "sandbox", tok.AccessToken)
		// Any change reloads the environment; its cached tokens no longer
		// count, and verify again against the reloaded keys.
		f.setEnvironment(t, "sandbox", func(e *gatehouse.Environment) { e.Tokens.DefaultAudience = "https://x" })
		if !active(t, f.issuer, f, "sandbox", tok.AccessToken) {
			t.Fatal("the token is inactive after the environment reloaded")
		}
	})
	t.Run("the cache stays bounded", func(t *testing.T) {
		f := newFixture(t)
		f.opaqueSandbox(t)
		k, _ := newKeyring(t)
		iss := f.issuerWith(k)
		n := 2*tokens.VerifiedCacheSizeForTest + 10
		for range n {
			tok, oerr := iss.Issue(ctx, f.request(nil))
			if oerr != nil {
				t.Fatal(oerr)
			}
			active(t, iss, f, "sandbox", tok.AccessToken)
		}
		if got := iss.VerifiedLenForTest(); got > 2*tokens.VerifiedCacheSizeForTest || got == 0 {
			t.Fatalf("the cache holds %d tokens after %d, want at most %d", got, n, 2*tokens.VerifiedCacheSizeForTest)
		}
	})
}

func TestAPIKeyWithABadChecksumIsRefusedAtTheBearer(t *testing.T) {
	f := newFixture(t)
	secret, _ := gatehouse.NewSecret(rand.Reader)
	f.addSecret(t, secret)
	key := gatehouse.FormatAPIKey("sandbox", f.sandbox.ID, secret)
	if _, err := f.issuer.AuthenticateBearer("sandbox", key, here); err != nil {
		t.Fatalf("the well-formed key is refused: %v", err)
	}
	// The same client id and secret under a wrong checksum: were the
	// checksum not checked first, the lookup would succeed.
	n := len(key) - 6
	for _, bad := range []string{key[:n] + "000000", key[:n] + "zzzzzz", key[:n+5] + string(key[n+5]^1)} {
		if bad == key {
			continue
		}
		if _, err := f.issuer.AuthenticateBearer("sandbox", bad, here); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("key with checksum %s: err = %v, want unauthorized", bad[n:], err)
		}
	}
}

// BenchmarkIssueOpaque measures issuing an opaque token: authentication
// from the cache, claims, and an XChaCha20-Poly1305 seal; no store access.
func BenchmarkIssueOpaque(b *testing.B) {
	f := newFixture(b)
	k, _ := newKeyring(b)
	iss := f.issuerWith(k)
	f.opaqueSandbox(b)
	req := f.request(nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, oerr := iss.Issue(ctx, req); oerr != nil {
			b.Fatal(oerr)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkIntrospectFirstSight measures validating a token the verified
// cache has not seen (it is dropped from the cache before each call): the
// signature or seal check dominates.
func BenchmarkIntrospectFirstSight(b *testing.B) {
	for _, format := range []string{gatehouse.TokenFormatJWT, gatehouse.TokenFormatOpaque} {
		b.Run(format, func(b *testing.B) {
			f := newFixture(b)
			k, _ := newKeyring(b)
			iss := f.issuerWith(k)
			f.setEnvironment(b, "sandbox", func(e *gatehouse.Environment) { e.Tokens.Format = format })
			tok, _ := iss.Issue(context.Background(), f.request(nil))
			caller := f.caller()
			b.ReportAllocs()
			for b.Loop() {
				iss.ForgetVerifiedForTest(tok.AccessToken)
				if res, _ := iss.Introspect("sandbox", caller, here, tok.AccessToken); !res.Active {
					b.Fatal("inactive")
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "introspections/s")
		})
	}
}

func TestARotatedOutSecretGetsTokensUntilItsGraceEnds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	graceEnd := f.clock.Now().Add(24 * time.Hour)
	c, _ := f.store.Client(ctx, f.sandbox.ID)
	c.Secrets[0].ExpiresAt = graceEnd // what a rotation with --grace 24h does
	c.Secrets = append(c.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret("new-secret"), CreatedAt: f.clock.Now()})
	if err := f.store.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	f.dir.Refresh(ctx)
	issue := func(secret string) *tokens.Error {
		_, oerr := f.issuer.Issue(ctx, f.request(func(r *tokens.Request) { r.Credentials.Secret = secret }))
		return oerr
	}
	for _, tc := range []struct {
		name     string
		at       time.Time
		secret   string
		wantsErr bool
	}{
		{"the old secret works a second before the grace ends", graceEnd.Add(-time.Second), "sandbox-secret", false},
		{"the old secret is refused when the grace ends", graceEnd, "sandbox-secret", true},
		{"the new secret works after the grace", graceEnd.Add(time.Hour), "new-secret", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.clock.Add(tc.at.Sub(f.clock.Now()))
			f.dir.Refresh(ctx)
			oerr := issue(tc.secret)
			if tc.wantsErr && (oerr == nil || oerr.Code != tokens.ErrInvalidClient) {
				t.Fatalf("error %v, want invalid_client", oerr)
			} else if !tc.wantsErr && oerr != nil {
				t.Fatalf("error %v", oerr)
			}
		})
	}
}
