package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// hydraListClient is an OAuth2Client of Hydra's admin API as "hydra list
// oauth2-clients --format json" shows it: never with its secret.
func hydraListClient(id string, more map[string]any) map[string]any {
	c := map[string]any{
		"client_id": id, "client_name": id, "client_secret_expires_at": 0, "client_uri": "", "contacts": nil,
		"created_at": "2024-05-06T07:08:09Z", "updated_at": "2024-05-06T07:08:09Z",
		"grant_types": []string{"client_credentials"}, "response_types": []string{"token"},
		"scope": "feed:read", "audience": []string{}, "owner": "", "policy_uri": "", "tos_uri": "",
		"token_endpoint_auth_method": "client_secret_basic", "jwks": map[string]any{}, "metadata": map[string]any{},
		"skip_consent": false, "skip_logout_consent": nil, "subject_type": "public", "access_token_strategy": "opaque",
		"userinfo_signed_response_alg": "none", "redirect_uris": nil,
	}
	for k, v := range more {
		c[k] = v
	}
	return c
}

// TestHydraClientListImport imports a Hydra client list with a secrets
// file: a secret under the BCrypt hash Hydra stored (re-hashed into the
// native form on first use), a plain one, a client with no secret in the
// file (must rotate), a private_key_jwt client with an inline JWK Set, and
// an authorization-code client (skipped). They work at the Keycloak-,
// Lengow- and Lemonway-style endpoints.
func TestHydraClientListImport(t *testing.T) {
	s := startServer(t, app.Config{})
	const hashedSecret, plainSecret = "Mx4Tq8Vb1Nz6Kc3Hw9Lr2Yp5Gs7Df0Ja", "Pw2Zr7Kt4Bn9Qx1Vm6Hc3Lf8Ys5Dj0Ge"
	hash, err := bcrypt.GenerateFromPassword([]byte(hashedSecret), 10) // Hydra's hasher: BCrypt, cost 10
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := map[string]any{"keys": []any{map[string]any{"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA",
		"kid": "feed-signer-1", "x": base64.RawURLEncoding.EncodeToString(pub)}}}
	list := marshal(t, map[string]any{"items": []any{
		hydraListClient("feed-hashed", map[string]any{"scope": "feed:read feed:write", "audience": []string{"https://feed.example"}}),
		hydraListClient("feed-plain", map[string]any{"token_endpoint_auth_method": "client_secret_post", "client_credentials_grant_access_token_lifespan": "30m0s"}),
		hydraListClient("feed-nosecret", nil),
		hydraListClient("feed-keys", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks}),
		hydraListClient("web-login", map[string]any{"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"}}),
	}})
	secrets := "client_id,secret,secret_hash\n" +
		"feed-hashed,," + string(hash) + "\n" +
		"feed-plain," + plainSecret + ",\n"
	opts := func(apply bool) adminclient.ImportOptions {
		return adminclient.ImportOptions{Apply: apply, Environment: "production", Account: "Feeds Inc", Secrets: strings.NewReader(secrets)}
	}

	dry := importWith(t, s, list, opts(false))
	if dry.Applied || dry.Created != 4 || dry.Skipped != 1 || dry.Refused != 0 || dry.Rows[4].Path != "items[4]" {
		t.Fatalf("dry run = %+v", dry)
	}
	if rep := importWith(t, s, list, opts(true)); !rep.Applied || rep.Created != 4 {
		t.Fatalf("import = %+v", rep)
	}
	if got := importedHashOf(t, s, "feed-hashed"); got != "bcrypt" {
		t.Fatalf("before first use feed-hashed is under %q, want bcrypt", got)
	}

	keycloak := s.URL + "/auth/realms/production/protocol/openid-connect/token"
	t.Run("the three flows work with the imported secrets", func(t *testing.T) {
		resp, body := send(t, http.MethodPost, keycloak, curlData, "grant_type=client_credentials&client_id=feed-hashed&client_secret="+hashedSecret+"&audience=https://feed.example")
		if resp.StatusCode != 200 || body["scope"] != "feed:read feed:write" {
			t.Fatalf("Keycloak-style: %d %v", resp.StatusCode, body)
		}
		resp, body = send(t, http.MethodPost, s.URL+"/access/get_token", map[string]string{"Content-Type": "application/json"},
			`{"access_token":"feed-plain","secret":"`+plainSecret+`"}`)
		if resp.StatusCode != 200 || body["token"] == nil {
			t.Fatalf("Lengow-style: %d %v", resp.StatusCode, body)
		}
		basic := base64.StdEncoding.EncodeToString([]byte("feed-plain:" + plainSecret))
		resp, body = send(t, http.MethodPost, s.URL+"/oauth/api/v1/oauth/token", lemonwayHeaders("basic "+basic), "Grant_type=client_credentials")
		if resp.StatusCode != 200 || body["token_Type"] != "Bearer" {
			t.Fatalf("Lemonway-style: %d %v", resp.StatusCode, body)
		}
		resp, body = send(t, http.MethodPost, keycloak, curlData, "grant_type=client_credentials&client_id=feed-plain&client_secret="+plainSecret)
		if resp.StatusCode != 200 || body["expires_in"] != 1800.0 {
			t.Fatalf("Hydra's client lifespan: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("the BCrypt secret is re-hashed on first use and still works", func(t *testing.T) {
		s.main.WaitRehashes()
		if got := importedHashOf(t, s, "feed-hashed"); got != "" {
			t.Fatalf("after first use feed-hashed is still under %q", got)
		}
		resp, body := send(t, http.MethodPost, keycloak, curlData, "grant_type=client_credentials&client_id=feed-hashed&client_secret="+hashedSecret)
		if resp.StatusCode != 200 {
			t.Fatalf("after the re-hash: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("the private_key_jwt client signs with its inline JWK", func(t *testing.T) {
		signer := assertionSigner{clientID: "feed-keys", alg: jose.EdDSA, key: priv, kid: "feed-signer-1"}
		resp := postForm(t, s.tokenURL("production"), assertionForm(signer.assertion(t, s.tokenURL("production"))), "", "")
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("private_key_jwt: %d %s", resp.StatusCode, oauthError(t, resp))
		}
	})
	t.Run("the client without a secret must rotate", func(t *testing.T) {
		c, err := s.Admin.Client(context.Background(), "feed-nosecret")
		if err != nil || !c.MustRotate || len(c.Secrets) != 0 || c.Environment != "production" {
			t.Fatalf("feed-nosecret = %+v, %v", c, err)
		}
	})
	t.Run("running the import again changes nothing", func(t *testing.T) {
		again := importWith(t, s, list, opts(true))
		if again.Created+again.Updated+again.Refused != 0 || again.Skipped != 5 {
			t.Fatalf("second run = %+v", again)
		}
		if got := importedHashOf(t, s, "feed-hashed"); got != "" {
			t.Fatalf("a second run brought back the imported hash %q", got)
		}
	})
	t.Run("a secrets row naming no client refuses the file with its line", func(t *testing.T) {
		more := strings.Replace(list, `"feed-keys"`, `"feed-new"`, 1)
		o := opts(true)
		o.Secrets = strings.NewReader(secrets + "feed-gone," + plainSecret + ",\n")
		rep := importWith(t, s, more, o)
		last := rep.Rows[len(rep.Rows)-1]
		if rep.Applied || rep.Refused != 1 || last.Path != "secrets:4" || last.Line != 4 || strings.Contains(last.Reason, plainSecret) {
			t.Fatalf("report = %+v", rep)
		}
		if _, err := s.Admin.Client(context.Background(), "feed-new"); err == nil {
			t.Fatal("a client of a refused file was written")
		}
	})
	t.Run("no secret reaches the log", func(t *testing.T) {
		for _, secret := range []string{hashedSecret, plainSecret, string(hash)} {
			if strings.Contains(s.Logs.String(), secret) {
				t.Fatal("the log holds a secret")
			}
		}
		b, _ := json.Marshal(dry)
		if strings.Contains(string(b), plainSecret) || strings.Contains(string(b), string(hash)) {
			t.Fatal("the report holds a secret")
		}
	})
}
