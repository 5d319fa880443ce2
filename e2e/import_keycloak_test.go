package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// keycloakClient is a ClientRepresentation of a confidential client with
// service accounts on, as "kc.sh export" writes it; more overrides fields.
func keycloakClient(id string, more map[string]any) map[string]any {
	c := map[string]any{
		"id": "3f1c0a2e-" + id, "clientId": id, "name": id, "enabled": true, "protocol": "openid-connect",
		"clientAuthenticatorType": "client-secret", "publicClient": false, "bearerOnly": false,
		"serviceAccountsEnabled": true, "standardFlowEnabled": false, "directAccessGrantsEnabled": false,
		"attributes":           map[string]any{"oauth2.device.authorization.grant.enabled": "false"},
		"defaultClientScopes":  []string{"web-origins", "acr", "profile", "roles", "basic", "email"},
		"optionalClientScopes": []string{"address", "phone", "offline_access", "microprofile-jwt"},
	}
	for k, v := range more {
		c[k] = v
	}
	return c
}

// keycloakCertificate returns a self-signed certificate of a new P-256 key
// in the form of the jwt.credential.certificate attribute (base64 DER).
func keycloakCertificate(t *testing.T) (string, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "reports-svc"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der), key
}

func importWith(t *testing.T, s *server, file string, o adminclient.ImportOptions) *adminclient.ImportReport {
	t.Helper()
	rep, err := s.Admin.ImportFile(context.Background(), strings.NewReader(file), o)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKeycloakRealmExportImport imports a realm export with Keycloak's
// built-in clients and three confidential ones: a masked secret (a partial
// export: the client must rotate), a client-jwt client with a certificate
// (private_key_jwt with the matching private key works) and a client in the
// middle of a secret rotation (both secrets work until the rotated one's
// expiry, then only the current one). The realm's name is the environment.
func TestKeycloakRealmExportImport(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	s := startServerWith(t, app.Config{CacheMaxStaleness: 24 * 365 * time.Hour}, func(m *app.Main) { m.Now = clock.Now })
	const current, rotated = "f0Hn8wQd2Lr6TzXk1VbM4pYs7CgJ9aEu", "Ru5Nq1Wc8Hx3Lb6Tz0Yk4Pf7Dg2Mj9Sa"
	cert, key := keycloakCertificate(t)
	expires := clock.Now().Add(time.Hour)
	realm := map[string]any{
		"id": "sandbox", "realm": "sandbox", "enabled": true, "accessTokenLifespan": 300,
		"clients": []any{
			keycloakClient("realm-management", map[string]any{"bearerOnly": true, "serviceAccountsEnabled": false}),
			keycloakClient("admin-cli", map[string]any{"publicClient": true, "serviceAccountsEnabled": false}),
			keycloakClient("account-console", map[string]any{"publicClient": true, "serviceAccountsEnabled": false}),
			keycloakClient("billing", map[string]any{
				"secret":              current,
				"defaultClientScopes": []string{"web-origins", "acr", "roles", "ledger:read"},
				"attributes": map[string]any{
					"client.secret.creation.time":           strconv.FormatInt(clock.Now().Add(-24*time.Hour).Unix(), 10),
					"client.secret.rotated":                 rotated,
					"client.secret.rotated.creation.time":   strconv.FormatInt(clock.Now().Add(-48*time.Hour).Unix(), 10),
					"client.secret.rotated.expiration.time": strconv.FormatInt(expires.Unix(), 10),
					"access.token.lifespan":                 "600",
				},
			}),
			keycloakClient("collections", map[string]any{"secret": "**********"}),
			keycloakClient("reports", map[string]any{"clientAuthenticatorType": "client-jwt",
				"attributes": map[string]any{"jwt.credential.certificate": cert, "token.endpoint.auth.signing.alg": "ES256"}}),
		},
	}
	file := marshal(t, realm)

	dry := importWith(t, s, file, adminclient.ImportOptions{})
	if dry.Applied || dry.Created != 3 || dry.Skipped != 3 || dry.Refused != 0 {
		t.Fatalf("dry run = %+v", dry)
	}
	if dry.Rows[3].Path != "clients[3]" || dry.Rows[3].ClientID != "billing" || dry.Rows[0].Reason != "a built-in client of Keycloak" {
		t.Fatalf("dry run rows = %+v", dry.Rows)
	}
	if _, err := s.Admin.Client(context.Background(), "billing"); err == nil {
		t.Fatal("a dry run wrote a client")
	}
	rep := importWith(t, s, file, adminclient.ImportOptions{Apply: true})
	if !rep.Applied || rep.Created != 3 {
		t.Fatalf("import = %+v", rep)
	}

	keycloak := s.URL + "/auth/realms/sandbox/protocol/openid-connect/token"
	token := func(id, secret string) (*http.Response, map[string]any) {
		return send(t, http.MethodPost, keycloak, curlData, "grant_type=client_credentials&client_id="+id+"&client_secret="+url.QueryEscape(secret))
	}
	t.Run("the current and the rotated secret both get tokens, with the client's scopes and lifetime", func(t *testing.T) {
		for _, secret := range []string{current, rotated} {
			resp, body := token("billing", secret)
			if resp.StatusCode != 200 || body["scope"] != "ledger:read" || body["expires_in"] != 600.0 {
				t.Fatalf("%d %v", resp.StatusCode, body)
			}
		}
		resp, body := send(t, http.MethodPost, s.URL+"/access/get_token", curlData, "access_token=billing&secret="+rotated)
		if resp.StatusCode != 200 || body["token"] == nil {
			t.Fatalf("Lengow-style with the rotated secret: %d %v", resp.StatusCode, body)
		}
		basic := base64.StdEncoding.EncodeToString([]byte("billing:" + current))
		resp, body = send(t, http.MethodPost, s.URL+"/oauth/api/v1/oauth/token", lemonwayHeaders("basic "+basic), "Grant_type=client_credentials")
		if resp.StatusCode != 200 || body["token_Type"] != "Bearer" {
			t.Fatalf("Lemonway-style: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("the client-jwt client gets tokens by private_key_jwt with the certificate's key", func(t *testing.T) {
		signer := assertionSigner{clientID: "reports", alg: jose.ES256, key: key}
		resp := postForm(t, s.tokenURL("sandbox"), assertionForm(signer.assertion(t, s.tokenURL("sandbox"))), "", "")
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("private_key_jwt: %d", resp.StatusCode)
		}
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		impostor := assertionSigner{clientID: "reports", alg: jose.ES256, key: other}
		resp = postForm(t, s.tokenURL("sandbox"), assertionForm(impostor.assertion(t, s.tokenURL("sandbox"))), "", "")
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("an assertion signed by another key: %d", resp.StatusCode)
		}
	})
	t.Run("the masked client exists, must rotate, and takes no secret", func(t *testing.T) {
		c, err := s.Admin.Client(context.Background(), "collections")
		if err != nil || !c.MustRotate || len(c.Secrets) != 0 {
			t.Fatalf("collections = %+v, %v", c, err)
		}
		if resp, body := token("collections", "**********"); resp.StatusCode != 401 || body["error"] != "invalid_client" {
			t.Fatalf("the mask as a secret: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("running the import again changes nothing", func(t *testing.T) {
		again := importWith(t, s, file, adminclient.ImportOptions{Apply: true})
		if again.Created+again.Updated+again.Refused != 0 || again.Skipped != 6 {
			t.Fatalf("second run = %+v", again)
		}
	})
	t.Run("after the rotated secret's expiry only the current one works", func(t *testing.T) {
		clock.Add(time.Hour + time.Second)
		if resp, body := token("billing", rotated); resp.StatusCode != 401 || body["error"] != "invalid_client" {
			t.Fatalf("the expired rotated secret: %d %v", resp.StatusCode, body)
		}
		if resp, body := token("billing", current); resp.StatusCode != 200 {
			t.Fatalf("the current secret: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("a realm without its environment refuses the file with the client's path", func(t *testing.T) {
		other := marshal(t, []any{
			map[string]any{"realm": "sandbox", "clients": []any{keycloakClient("fresh", map[string]any{"secret": current})}},
			map[string]any{"realm": "staging", "clients": []any{keycloakClient("partner", map[string]any{"secret": current})}},
		})
		rep := importWith(t, s, other, adminclient.ImportOptions{Apply: true})
		if rep.Applied || rep.Refused != 1 || rep.Rows[1].Path != "[1].clients[0]" || !strings.Contains(rep.Rows[1].Reason, `"staging" does not exist`) {
			t.Fatalf("report = %+v", rep)
		}
		if _, err := s.Admin.Client(context.Background(), "fresh"); err == nil {
			t.Fatal("the good client of a refused file was written")
		}
		mapped := importWith(t, s, other, adminclient.ImportOptions{Apply: true, Environment: "production", Account: "Partners"})
		if !mapped.Applied || mapped.Created != 2 {
			t.Fatalf("with env and account = %+v", mapped)
		}
		if c, err := s.Admin.Client(context.Background(), "partner"); err != nil || c.Environment != "production" {
			t.Fatalf("partner = %+v, %v", c, err)
		}
	})
	t.Run("no secret reaches the report or the log", func(t *testing.T) {
		b, _ := json.Marshal(rep)
		for _, secret := range []string{current, rotated} {
			if strings.Contains(s.Logs.String(), secret) || strings.Contains(string(b), secret) {
				t.Fatal("a secret leaked")
			}
		}
	})
}
