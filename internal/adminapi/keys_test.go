package adminapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	signingkeys "github.com/gatehouse-dev/gatehouse/internal/keys"
)

// ed25519JWKS is a JWK Set of one Ed25519 public key without a kid (RFC 8037
// appendix A.2).
const ed25519JWKS = `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`

func TestClientKeysEndpoints(t *testing.T) {
	f := newFixture(t)
	c := f.createClient(t, `{"environment":"sandbox","name":"signer","jwks":`+ed25519JWKS+`}`)

	t.Run("a JWK Set given at creation is shown with a thumbprint kid", func(t *testing.T) {
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(c.JWKS, &set); err != nil || len(set.Keys) != 1 {
			t.Fatalf("jwks %s: %v", c.JWKS, err)
		}
		if kid, _ := set.Keys[0]["kid"].(string); kid != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
			t.Errorf("kid %q, want the RFC 8037 example's thumbprint", kid)
		}
	})

	for _, tc := range []struct{ name, body string }{
		{"both a JWK Set and a PEM key are refused", `{"jwks":` + ed25519JWKS + `,"public_key_pem":"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"}`},
		{"a JWK Set that is not an object is refused", `{"jwks":"` + strings.ReplaceAll(ed25519JWKS, `"`, `\"`) + `"}`},
		{"a symmetric key is refused", `{"jwks":{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}}`},
		{"a key for encryption is refused", `{"jwks":{"keys":[{"kty":"OKP","crv":"Ed25519","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}}`},
		{"text that is no PEM is refused", `{"public_key_pem":"not a key"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, http.MethodPut, "/admin/v1/clients/"+c.ClientID+"/keys", writeToken, tc.body)
			checkError(t, rec, http.StatusBadRequest, gatehouse.EINVALID)
		})
	}

	t.Run("keys of an unknown client are not found", func(t *testing.T) {
		rec := f.do(t, http.MethodPost, "/admin/v1/clients/nobody/keys", writeToken, `{}`)
		checkError(t, rec, http.StatusNotFound, gatehouse.ENOTFOUND)
	})

	t.Run("setting keys needs admin:write", func(t *testing.T) {
		rec := f.do(t, http.MethodPut, "/admin/v1/clients/"+c.ClientID+"/keys", readToken, `{}`)
		checkError(t, rec, http.StatusForbidden, gatehouse.EFORBIDDEN)
	})

	t.Run("an empty body removes the keys", func(t *testing.T) {
		rec := f.must(t, http.StatusOK, http.MethodPut, "/admin/v1/clients/"+c.ClientID+"/keys", writeToken, "")
		var out wire.Client
		decode(t, rec, &out)
		if len(out.JWKS) != 0 || out.PublicKeyPEM != "" || f.storedClient(t, c.ClientID).HasAssertionKeys() {
			t.Fatalf("keys left: %s", rec.Body)
		}
	})
}

func TestSigningKeyEndpoints(t *testing.T) {
	f := newFixture(t)
	k, err := signingkeys.Generate("sandbox", gatehouse.AlgES256, gatehouse.KeyActive, rand.Reader, f.clock())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateSigningKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}

	t.Run("the list shows public keys only", func(t *testing.T) {
		rec := f.must(t, http.StatusOK, http.MethodGet, "/admin/v1/environments/sandbox/keys", readToken, "")
		var list wire.SigningKeyList
		decode(t, rec, &list)
		if len(list.Items) != 1 || list.Items[0].KeyID != k.ID || list.Items[0].State != "active" {
			t.Fatalf("list %s", rec.Body)
		}
		var jwk map[string]any
		json.Unmarshal(list.Items[0].PublicJWK, &jwk)
		if _, private := jwk["d"]; private || jwk["kid"] != k.ID {
			t.Fatalf("public_jwk %s", list.Items[0].PublicJWK)
		}
	})

	t.Run("a rotation publishes a next key and answers 201", func(t *testing.T) {
		rec := f.must(t, http.StatusCreated, http.MethodPost, "/admin/v1/environments/sandbox/keys/rotate", writeToken, `{"algorithm":"RS256"}`)
		var res wire.RotateKeysResponse
		decode(t, rec, &res)
		if res.Key.State != "next" || res.Key.Algorithm != "RS256" || res.Key.ActivatesAt == nil || len(res.Keys.Items) != 2 {
			t.Fatalf("answer %s", rec.Body)
		}
	})

	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"a second rotation is a conflict", http.MethodPost, "/admin/v1/environments/sandbox/keys/rotate", writeToken, "", 409, gatehouse.ECONFLICT},
		{"an HMAC algorithm is refused", http.MethodPost, "/admin/v1/environments/production/keys/rotate", writeToken, `{"algorithm":"HS256"}`, 400, gatehouse.EINVALID},
		{"rotating needs admin:write", http.MethodPost, "/admin/v1/environments/production/keys/rotate", readToken, "", 403, gatehouse.EFORBIDDEN},
		{"an unknown environment is not found", http.MethodGet, "/admin/v1/environments/nowhere/keys", readToken, "", 404, gatehouse.ENOTFOUND},
		{"rotating an unknown environment is not found", http.MethodPost, "/admin/v1/environments/nowhere/keys/rotate", writeToken, "", 404, gatehouse.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, f.do(t, tc.method, tc.path, tc.token, tc.body), tc.status, tc.code)
		})
	}
}
