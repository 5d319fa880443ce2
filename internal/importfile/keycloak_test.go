package importfile_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/importfile"
)

// kcClient is a Keycloak ClientRepresentation of a confidential
// service-account client, as kc.sh export writes it.
func kcClient(id string, more map[string]any) map[string]any {
	c := map[string]any{
		"clientId": id, "name": id + " service", "enabled": true, "protocol": "openid-connect",
		"publicClient": false, "bearerOnly": false, "serviceAccountsEnabled": true, "standardFlowEnabled": false,
		"clientAuthenticatorType": "client-secret", "secret": "S3cr3t-" + id + "-0123456789abcdefXYZ",
		"attributes":          map[string]any{},
		"defaultClientScopes": []string{"web-origins", "acr", "roles", "profile", "email", "ledger:read"},
		"optionalClientScopes": []string{"address", "phone", "offline_access", "microprofile-jwt",
			"ledger:write"},
	}
	for k, v := range more {
		c[k] = v
	}
	return c
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// selfSignedCertificate returns a base64 DER certificate for a new P-256
// key, as Keycloak keeps it in jwt.credential.certificate.
func selfSignedCertificate(t *testing.T) (string, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jwt-svc"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der), key
}

func TestKeycloakRealmExportMapsServiceAccountClients(t *testing.T) {
	cert, key := selfSignedCertificate(t)
	realm := map[string]any{
		"id": "c0ffee", "realm": "sandbox", "enabled": true,
		"clients": []any{
			kcClient("realm-management", map[string]any{"bearerOnly": true}),
			kcClient("account-console", map[string]any{"publicClient": true}),
			kcClient("billing", map[string]any{"attributes": map[string]any{
				"client.secret.rotated":                 "Old-S3cret-0123456789abcdefXYZ",
				"client.secret.rotated.expiration.time": "1900000000",
				"access.token.lifespan":                 "600",
			}}),
			kcClient("masked", map[string]any{"secret": "**********"}),
			kcClient("jwt-svc", map[string]any{"clientAuthenticatorType": "client-jwt", "secret": "",
				"attributes": map[string]any{"jwt.credential.certificate": cert}}),
			kcClient("web-app", map[string]any{"serviceAccountsEnabled": false, "standardFlowEnabled": true}),
			kcClient("saml-sp", map[string]any{"protocol": "saml"}),
			kcClient("spa", map[string]any{"publicClient": true}),
			kcClient("off", map[string]any{"enabled": false}),
		},
	}
	for name, tc := range map[string]struct {
		doc    string
		prefix string
	}{
		"one realm object":     {mustJSON(t, realm), ""},
		"a list of realms":     {mustJSON(t, []any{realm}), "[0]."},
		"an object of realms":  {mustJSON(t, map[string]any{"realms": []any{realm}}), "realms[0]."},
		"one line of JSON too": {strings.ReplaceAll(mustJSON(t, realm), "\n", ""), ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := importfile.Sniff([]byte(tc.doc)); got != importfile.FormatKeycloak {
				t.Fatalf("sniffed %q", got)
			}
			rows, err := importfile.ReadFile(strings.NewReader(tc.doc), importfile.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 9 {
				t.Fatalf("%d rows", len(rows))
			}
			for i, r := range rows {
				if want := tc.prefix + "clients[" + string(rune('0'+i)) + "]"; r.Path != want || r.Environment != "sandbox" || r.Account != "sandbox" {
					t.Fatalf("row %d placed at %q in %q/%q, want %q in sandbox", i, r.Path, r.Environment, r.Account, want)
				}
			}
			for _, i := range []int{0, 1, 5, 6, 7, 8} {
				if rows[i].Skip == "" || rows[i].Problem != "" {
					t.Errorf("%s: skip %q, problem %q; want it skipped", rows[i].ClientID, rows[i].Skip, rows[i].Problem)
				}
			}
			b := rows[2]
			if b.ClientID != "billing" || b.Secret != "S3cr3t-billing-0123456789abcdefXYZ" || b.RotatedSecret != "Old-S3cret-0123456789abcdefXYZ" ||
				!b.RotatedExpires.Equal(time.Unix(1900000000, 0)) || b.TokenLifetime != 10*time.Minute ||
				strings.Join(b.Scopes, " ") != "ledger:read ledger:write" || b.Skip != "" || b.Problem != "" {
				t.Fatalf("billing = %+v", b)
			}
			if m := rows[3]; m.Secret != "" || !m.MustRotate || m.Problem != "" {
				t.Fatalf("masked = %+v", m)
			}
			j := rows[4]
			block, _ := pem.Decode([]byte(j.PublicKeyPEM))
			if j.Secret != "" || block == nil || block.Type != "PUBLIC KEY" {
				t.Fatalf("jwt-svc = %+v", j)
			}
			pub, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil || !key.PublicKey.Equal(pub) {
				t.Fatalf("jwt-svc's key is not the certificate's: %v", err)
			}
		})
	}
}

func TestKeycloakOptionsChooseEnvironmentAndAccount(t *testing.T) {
	doc := mustJSON(t, map[string]any{"realm": "acme-prod", "clients": []any{kcClient("billing", nil)}})
	rows, err := importfile.ReadFile(strings.NewReader(doc), importfile.Options{Environment: "production", Account: "Acme"})
	if err != nil || len(rows) != 1 || rows[0].Environment != "production" || rows[0].Account != "Acme" {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
}

func TestKeycloakClientsGatehouseCannotServeAreRefusedWithTheirPath(t *testing.T) {
	for name, tc := range map[string]struct {
		client map[string]any
		want   string
	}{
		"keys at a JWKS URL": {kcClient("x", map[string]any{"clientAuthenticatorType": "client-jwt",
			"attributes": map[string]any{"use.jwks.url": "true", "jwks.url": "https://keys.example/jwks"}}), "JWKS URL"},
		"client-jwt without keys": {kcClient("x", map[string]any{"clientAuthenticatorType": "client-jwt"}), "without a certificate"},
		"a certificate that is not one": {kcClient("x", map[string]any{"clientAuthenticatorType": "client-jwt",
			"attributes": map[string]any{"jwt.credential.certificate": "bm90IGEgY2VydA=="}}), "not an X.509 certificate"},
		"mutual TLS":               {kcClient("x", map[string]any{"clientAuthenticatorType": "client-x509"}), "not supported"},
		"a lifespan not a number":  {kcClient("x", map[string]any{"attributes": map[string]any{"access.token.lifespan": "ten"}}), "access.token.lifespan"},
		"a bad rotation expiry":    {kcClient("x", map[string]any{"attributes": map[string]any{"client.secret.rotated": "r0tated-0123456789abcdefXYZ", "client.secret.rotated.expiration.time": "soon"}}), "expiration.time"},
		"a client that is no JSON": {map[string]any{"clientId": 7}, "not a Keycloak client"},
	} {
		t.Run(name, func(t *testing.T) {
			doc := mustJSON(t, map[string]any{"realms": []any{map[string]any{"realm": "sandbox", "clients": []any{kcClient("ok", nil), tc.client}}}})
			rows, err := importfile.ReadFile(strings.NewReader(doc), importfile.Options{Format: importfile.FormatKeycloak})
			if err != nil || len(rows) != 2 {
				t.Fatalf("rows = %+v, %v", rows, err)
			}
			if rows[1].Path != "realms[0].clients[1]" || !strings.Contains(rows[1].Problem, tc.want) {
				t.Fatalf("row = %+v, want a problem naming %q", rows[1], tc.want)
			}
			if rows[0].Problem != "" {
				t.Fatalf("the good row has a problem: %q", rows[0].Problem)
			}
		})
	}
}

func TestKeycloakInlineJWKSIsKept(t *testing.T) {
	jwks := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`
	doc := mustJSON(t, map[string]any{"realm": "sandbox", "clients": []any{kcClient("x", map[string]any{
		"clientAuthenticatorType": "client-jwt", "attributes": map[string]any{"use.jwks.string": "true", "jwks.string": jwks}})}})
	rows, err := importfile.ReadFile(strings.NewReader(doc), importfile.Options{})
	if err != nil || len(rows) != 1 || rows[0].JWKS != jwks || rows[0].Problem != "" {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
	if _, err := gatehouse.ParseClientKeys(rows[0].JWKS, ""); err != nil {
		t.Fatal(err)
	}
}

func TestNotAKeycloakExportIsRefusedWhole(t *testing.T) {
	for name, doc := range map[string]string{
		"cut short":         `{"realm": "sandbox", "clients": [`,
		"clients not array": "{\n\"realm\": \"sandbox\", \"clients\": 3}",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := importfile.ReadFile(strings.NewReader(doc), importfile.Options{Format: importfile.FormatKeycloak})
			if gatehouse.ErrorCode(err) != gatehouse.EINVALID {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// TestSniffTellsTheFormats checks the format detection on the beginnings of
// each kind of file.
func TestSniffTellsTheFormats(t *testing.T) {
	for head, want := range map[string]string{
		"client_id,secret\nx,y\n":                          importfile.FormatCSV,
		`{"client_id":"a","secret":"b"}` + "\n{}\n":        importfile.FormatJSONL,
		"{not json\n{\"client_id\":\"a\"}\n":               importfile.FormatJSONL,
		"{\n  \"realm\": \"sandbox\",\n  \"clients\": [":   importfile.FormatKeycloak,
		`{"realm":"sandbox","clients":[]}`:                 importfile.FormatKeycloak,
		"[\n {\"realm\": \"a\"}]":                          importfile.FormatKeycloak,
		"[\n {\"client_id\": \"a\", \"grant_types\": []}]": importfile.FormatHydra,
		"{\n  \"items\": [\n {\"client_id\": \"a\"}]}":     importfile.FormatHydra,
		`{"items":[{"client_id":"a"}]}`:                    importfile.FormatHydra,
	} {
		if got := importfile.Sniff([]byte(head)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", head, got, want)
		}
	}
}
