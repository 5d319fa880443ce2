package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse"
)

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustKey(t testing.TB, alg, state string) *Key {
	t.Helper()
	sk, err := Generate("sandbox", alg, state, rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	k, err := Parse(sk)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestEveryAlgorithmSignsAndVerifies(t *testing.T) {
	for _, alg := range []string{gatehouse.AlgES256, gatehouse.AlgEdDSA, gatehouse.AlgRS256} {
		t.Run(alg, func(t *testing.T) {
			k := mustKey(t, alg, gatehouse.KeyActive)
			ks, err := NewKeySet([]*Key{k}, now)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ks.Active.Sign([]byte(`{"sub":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			header := decodeSegment(t, tok, 0)
			if header["typ"] != TokenType || header["kid"] != k.ID || header["alg"] != alg {
				t.Fatalf("header = %v", header)
			}
			payload, err := ks.Verify(tok)
			if err != nil || string(payload) != `{"sub":"x"}` {
				t.Fatalf("Verify = %q, %v", payload, err)
			}
			var set jose.JSONWebKeySet
			if err := json.Unmarshal(ks.JWKS(), &set); err != nil || len(set.Keys) != 1 || set.Keys[0].KeyID != k.ID || !set.Keys[0].IsPublic() {
				t.Fatalf("JWKS = %s (%v)", ks.JWKS(), err)
			}
		})
	}
}

func decodeSegment(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestVerifyRefusesForgedTokens(t *testing.T) {
	active := mustKey(t, gatehouse.AlgES256, gatehouse.KeyActive)
	other := mustKey(t, gatehouse.AlgES256, gatehouse.KeyActive)
	ks, _ := NewKeySet([]*Key{active}, now)
	good, _ := active.Sign([]byte(`{"sub":"x"}`))
	foreign, _ := other.Sign([]byte(`{"sub":"x"}`))
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+active.ID+`"}`)) + "." + parts[1] + "."
	hmacSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("public-key-bytes-as-hmac-secret!")},
		(&jose.SignerOptions{}).WithHeader("kid", active.ID))
	hs, _ := hmacSigner.Sign([]byte(`{"sub":"x"}`))
	hsCompact, _ := hs.CompactSerialize()
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"y"}`)) + "." + parts[2]
	for name, tok := range map[string]string{
		"a token signed by another key":  foreign,
		"an unsigned alg=none token":     none,
		"an HS256 token naming our kid":  hsCompact,
		"a token with a changed payload": tampered,
		"garbage":                        "not.a.jwt",
		"an empty string":                "",
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			if _, err := ks.Verify(tok); err != ErrInvalidToken {
				t.Fatalf("Verify err = %v, want ErrInvalidToken", err)
			}
		})
	}
}

func TestKeySetPublishesNextAndRetiredKeysUntilRemoval(t *testing.T) {
	active := mustKey(t, gatehouse.AlgES256, gatehouse.KeyActive)
	next := mustKey(t, gatehouse.AlgEdDSA, gatehouse.KeyNext)
	retired := mustKey(t, gatehouse.AlgES256, gatehouse.KeyRetired)
	retired.RemoveAt = now.Add(time.Hour)
	gone := mustKey(t, gatehouse.AlgES256, gatehouse.KeyRetired)
	gone.RemoveAt = now
	ks, err := NewKeySet([]*Key{retired, gone, active, next}, now)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Active != active {
		t.Fatal("the active key must sign")
	}
	var set jose.JSONWebKeySet
	json.Unmarshal(ks.JWKS(), &set)
	if len(set.Keys) != 3 {
		t.Fatalf("JWKS has %d keys, want active, next and the unexpired retired one", len(set.Keys))
	}
	old, _ := retired.Sign([]byte(`{}`))
	if _, err := ks.Verify(old); err != nil {
		t.Fatalf("a retired key's token must verify until removal: %v", err)
	}
	removed, _ := gone.Sign([]byte(`{}`))
	if _, err := ks.Verify(removed); err == nil {
		t.Fatal("a removed key's token must not verify")
	}
	if got := ks.Algorithms(); len(got) != 2 {
		t.Fatalf("Algorithms = %v", got)
	}
}

func TestParseRefusesAKeyOfTheWrongAlgorithm(t *testing.T) {
	sk, _ := Generate("sandbox", gatehouse.AlgEdDSA, gatehouse.KeyActive, rand.Reader, now)
	sk.Algorithm = gatehouse.AlgES256
	if _, err := Parse(sk); err == nil {
		t.Fatal("an Ed25519 key must not parse as ES256")
	}
}

// BenchmarkSign measures signing a typical access-token payload through
// go-jose, per algorithm; BenchmarkBareSignature measures the standard
// library's signature alone, the floor under it.
func BenchmarkSign(b *testing.B) {
	payload := []byte(`{"iss":"http://127.0.0.1:8080/realms/sandbox","sub":"FnK746DBsMVs9I7Fn5rV","aud":"http://127.0.0.1:8080/realms/sandbox","exp":1795425769,"iat":1795425469,"jti":"7l5_9eowsTBaSu2tGuSxuA","client_id":"FnK746DBsMVs9I7Fn5rV","scope":"ledger:read","account_id":2}`)
	for _, alg := range []string{gatehouse.AlgES256, gatehouse.AlgEdDSA} {
		b.Run(alg, func(b *testing.B) {
			k := mustKey(b, alg, gatehouse.KeyActive)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Sign(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBareSignature(b *testing.B) {
	digest := make([]byte, 32)
	b.Run("ES256", func(b *testing.B) {
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		for b.Loop() {
			ecdsa.Sign(rand.Reader, priv, digest)
		}
	})
	b.Run("EdDSA", func(b *testing.B) {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		msg := make([]byte, 300)
		for b.Loop() {
			ed25519.Sign(priv, msg)
		}
	})
}
