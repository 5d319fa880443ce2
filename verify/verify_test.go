package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// clock is a test clock moved by hand.
type clock = testenv.Clock

func newTestVerifier(t *testing.T, ti *testIssuer, clk *clock, tune func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Issuer: ti.issuerID, Audience: "https://api.example.com", Now: clk.Now, KeyRefetchFloor: time.Minute}
	if tune != nil {
		tune(&cfg)
	}
	v, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func TestVerifyParsesStrictly(t *testing.T) {
	ti := newTestIssuer(t)
	clk := testenv.NewClock(time.Unix(1_800_000_000, 0))
	v := newTestVerifier(t, ti, clk, func(c *Config) { c.TokenCacheSize = -1 })
	now := clk.Now().Unix()
	good := ti.sign(t, nil, ti.claims(now))
	parts := strings.Split(good, ".")
	h, p, sig := parts[0], parts[1], parts[2]
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	impostor := &testIssuer{key: other, kid: ti.kid, issuerID: ti.issuerID}
	with := func(mod func(map[string]any)) string {
		c := ti.claims(now)
		mod(c)
		return ti.sign(t, nil, c)
	}
	cases := []struct{ name, token, want string }{
		{"two parts", h + "." + p, "not a JWT"},
		{"four parts", good + ".x", "not a compact JWS"},
		{"an empty signature", h + "." + p + ".", "not a compact JWS"},
		{"padded base64", h + "." + p + "." + sig + "==", "base64url"},
		{"a critical header extension", ti.sign(t, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": ti.kid, "crit": []string{"exp"}}, ti.claims(now)), "critical"},
		{"typ JWT instead of at+jwt", ti.sign(t, map[string]any{"alg": "ES256", "typ": "JWT", "kid": ti.kid}, ti.claims(now)), "at+jwt"},
		{"ES384 named for an ES256 key", ti.sign(t, map[string]any{"alg": "ES384", "typ": "at+jwt", "kid": ti.kid}, ti.claims(now)), "algorithm"},
		{"a signature by another key with the same kid", impostor.sign(t, nil, ti.claims(now)), "does not verify"},
		{"a truncated signature", h + "." + p + "." + sig[:40], "does not verify"},
		{"expired beyond the leeway", with(func(c map[string]any) { c["exp"] = now - 31 }), "expired"},
		{"not valid before a time beyond the leeway", with(func(c map[string]any) { c["nbf"] = now + 31 }), "not valid yet"},
		{"no exp", with(func(c map[string]any) { delete(c, "exp") }), "expired"},
		{"another issuer", with(func(c map[string]any) { c["iss"] = "https://evil.example/realms/test" }), "another issuer"},
		{"another audience", with(func(c map[string]any) { c["aud"] = []string{"https://other.example.com"} }), "audience"},
		{"claims that are not an object", ti.sign(t, nil, nil), "JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			var e *Error
			if !errors.As(err, &e) || e.Code != ErrInvalidToken || !strings.Contains(e.Description, tc.want) {
				t.Fatalf("error %v, want invalid_token mentioning %q", err, tc.want)
			}
		})
	}
	t.Run("a good token, its audience in an array and exp within the leeway, passes", func(t *testing.T) {
		tok := with(func(c map[string]any) { c["aud"] = []string{"x", "https://api.example.com"}; c["exp"] = now - 10 })
		c, err := v.Verify(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if c.ClientID != "client-1" || c.AccountID != 42 || c.SecretID != 7 || !c.HasScope("ledger:write") || c.HasScope("ledger") {
			t.Fatalf("claims %+v", c)
		}
	})
}

func TestUnknownKidsRefetchAtMostOncePerFloor(t *testing.T) {
	ti := newTestIssuer(t)
	clk := testenv.NewClock(time.Unix(1_800_000_000, 0))
	v := newTestVerifier(t, ti, clk, nil)
	now := clk.Now().Unix()
	good := ti.sign(t, nil, ti.claims(now))
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	start := ti.fetches.Load()
	random := func(i int) string {
		return ti.sign(t, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": "random-" + string(rune('a'+i))}, ti.claims(now))
	}
	for i := range 20 {
		if _, err := v.Verify(context.Background(), random(i)); err == nil {
			t.Fatal("a random kid was accepted")
		}
	}
	if n := ti.fetches.Load() - start; n != 0 {
		t.Fatalf("%d fetches within the floor period after the start fetch", n)
	}
	clk.Add(time.Minute)
	for i := range 20 {
		v.Verify(context.Background(), random(i))
	}
	if n := ti.fetches.Load() - start; n != 1 {
		t.Fatalf("%d fetches in the next floor period, want 1", n)
	}

	t.Run("a rotated key is found by the refetch, and a token of a key gone from the JWKS is refused even when remembered", func(t *testing.T) {
		next, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		rotated := &testIssuer{key: next, kid: "key-2", issuerID: ti.issuerID}
		ti.setKeys(t, jose.JSONWebKey{Key: &next.PublicKey, KeyID: "key-2", Algorithm: "ES256", Use: "sig"})
		clk.Add(time.Minute)
		if _, err := v.Verify(context.Background(), rotated.sign(t, nil, ti.claims(now))); err != nil {
			t.Fatalf("token of the new key: %v", err)
		}
		if _, err := v.Verify(context.Background(), good); err == nil {
			t.Fatal("a remembered token of a key no longer published was accepted")
		}
	})
}

func TestRevocationsApplyToRememberedTokens(t *testing.T) {
	ti := newTestIssuer(t)
	clk := testenv.NewClock(time.Unix(1_800_000_000, 0))
	v := newTestVerifier(t, ti, clk, nil)
	tok := ti.sign(t, nil, ti.claims(clk.Now().Unix()))
	for range 2 { // the second call is answered from the token cache
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	for name, ev := range map[string]string{
		"client": `{"clients":[{"id":"client-1","client_id":"client-1","expires_at":1900000000}]}`,
		"secret": `{"secrets":[{"id":"7","client_id":"client-1","expires_at":1900000000}]}`,
		"token":  `{"tokens":[{"jti":"jti-1","client_id":"client-1","expires_at":1900000000}]}`,
	} {
		v.revoked.Store(&revocations{})
		if err := v.applyEvent("revocations", ev); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), tok); err == nil || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("after the %s's revocation: %v", name, err)
		}
	}
	v.revoked.Store(&revocations{})
	if err := v.applyEvent("revocations", `{"clients":[{"id":"client-1","expires_at":1700000000}]}`); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("an expired revocation record still refuses: %v", err)
	}
}
