package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	jose "github.com/go-jose/go-jose/v4"
)

// testIssuer is a minimal issuer on a loopback test server: discovery and
// a JWKS with one ES256 key, which it signs tokens with.
type testIssuer struct {
	srv      *httptest.Server
	key      *ecdsa.PrivateKey
	kid      string
	jwks     atomic.Pointer[[]byte]
	fetches  atomic.Int64
	feed     http.Handler // optional revocation feed
	intro    http.Handler // optional introspection endpoint
	issuerID string
}

// tb is what the test issuer needs of a testing.TB (examples pass their own).
type tb interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

func newTestIssuer(t tb) *testIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ti := &testIssuer{key: key, kid: "key-1"}
	ti.setKeys(t, jose.JSONWebKey{Key: &key.PublicKey, KeyID: ti.kid, Algorithm: "ES256", Use: "sig"})
	mux := http.NewServeMux()
	mux.HandleFunc("/realms/test/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{
			"issuer": ti.issuerID, "jwks_uri": ti.issuerID + "/certs",
			"introspection_endpoint":             ti.issuerID + "/introspect",
			"gatehouse_revocation_feed_endpoint": ti.issuerID + "/revocation-feed",
		})
	})
	mux.HandleFunc("/realms/test/certs", func(w http.ResponseWriter, r *http.Request) {
		ti.fetches.Add(1)
		w.Write(*ti.jwks.Load())
	})
	mux.HandleFunc("/realms/test/revocation-feed", func(w http.ResponseWriter, r *http.Request) {
		if ti.feed == nil {
			http.NotFound(w, r)
			return
		}
		ti.feed.ServeHTTP(w, r)
	})
	mux.HandleFunc("/realms/test/introspect", func(w http.ResponseWriter, r *http.Request) {
		if ti.intro == nil {
			http.NotFound(w, r)
			return
		}
		ti.intro.ServeHTTP(w, r)
	})
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	ti.issuerID = ti.srv.URL + "/realms/test"
	return ti
}

func (ti *testIssuer) setKeys(t tb, keys ...jose.JSONWebKey) {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	ti.jwks.Store(&b)
}

// sign returns a compact ES256 JWS of claims with header hdr (the default
// at+jwt header of the issuer's key if nil).
func (ti *testIssuer) sign(t tb, hdr map[string]any, claims map[string]any) string {
	t.Helper()
	if hdr == nil {
		hdr = map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": ti.kid}
	}
	h, _ := json.Marshal(hdr)
	p, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, ti.key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// claims returns typical Gatehouse claims valid at unix time now.
func (ti *testIssuer) claims(now int64) map[string]any {
	return map[string]any{
		"iss": ti.issuerID, "sub": "client-1", "aud": "https://api.example.com", "exp": now + 300, "iat": now,
		"jti": "jti-1", "client_id": "client-1", "scope": "ledger:read ledger:write", "account_id": 42, "secret_id": 7,
	}
}

// bigInts splits a raw ES256 signature.
func bigInts(sig []byte) (*big.Int, *big.Int) {
	return new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
}
