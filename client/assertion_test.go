package client_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/client"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

func TestPrivateKeyJWTSendsASignedSingleUseAssertion(t *testing.T) {
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		alg    string
		signer crypto.Signer
	}{
		{"ES256", ec256}, {"ES384", ec384}, {"EdDSA", ed}, {"RS256", rsaKey}, {"PS256", rsaKey},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			srv := newTokenServer(t, 300)
			clk := testenv.NewClock(time.Now().Truncate(time.Second))
			src, err := client.New(client.Config{
				TokenURL: srv.URL + "/realms/sandbox/protocol/openid-connect/token", ClientID: "cid",
				AuthMethod: client.PrivateKeyJWT, Signer: tc.signer, SigningAlgorithm: tc.alg, KeyID: "k1",
				Now: clk.Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for i := range 2 {
				if i > 0 {
					src.Invalidate(mustTokenObj(t, src))
				}
				mustToken(t, src)
				r := srv.lastRequest()
				if r.PostForm.Get("client_assertion_type") != client.ClientAssertionType || r.PostForm.Has("client_id") || r.PostForm.Has("client_secret") || r.Header.Get("Authorization") != "" {
					t.Fatalf("form %v, Authorization %q", r.PostForm, r.Header.Get("Authorization"))
				}
				tok, err := jwt.ParseSigned(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tc.alg)})
				if err != nil {
					t.Fatal(err)
				}
				if h := tok.Headers[0]; h.KeyID != "k1" || h.Algorithm != tc.alg {
					t.Fatalf("header %+v", h)
				}
				var claims jwt.Claims
				if err := tok.Claims(tc.signer.Public(), &claims); err != nil {
					t.Fatalf("signature: %v", err)
				}
				if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: "cid", Subject: "cid", AnyAudience: jwt.Audience{srv.URL + "/realms/sandbox/protocol/openid-connect/token"}, Time: clk.Now()}, 0); err != nil {
					t.Fatalf("claims %+v: %v", claims, err)
				}
				if claims.Expiry.Time().Sub(claims.IssuedAt.Time()) != time.Minute || len(claims.ID) < 32 || seen[claims.ID] {
					t.Fatalf("claims %+v (ids seen %v)", claims, seen)
				}
				seen[claims.ID] = true
			}
		})
	}
}

func TestPrivateKeyJWTRefusesAnAlgorithmThatDoesNotFitTheKey(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, alg := range []string{"RS256", "ES384", "HS256", "none", ""} {
		_, err := client.New(client.Config{TokenURL: "https://a/t", ClientID: "c", AuthMethod: client.PrivateKeyJWT, Signer: ec, SigningAlgorithm: alg})
		if err == nil {
			t.Errorf("%q with a P-256 key was accepted", alg)
		}
	}
}

func mustTokenObj(t *testing.T, src *client.TokenSource) *oauth2.Token {
	t.Helper()
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
