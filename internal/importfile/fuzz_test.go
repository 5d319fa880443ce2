package importfile_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/importfile"
)

// FuzzReadFile feeds any bytes to every reader: none panics, and a file is
// either read into rows or refused whole.
func FuzzReadFile(f *testing.F) {
	for _, seed := range []string{
		"client_id,secret\na,b\n",
		`{"client_id":"a","secret":"b"}` + "\n",
		`{"realm":"sandbox","clients":[{"clientId":"x","serviceAccountsEnabled":true,"secret":"s","attributes":{"client.secret.rotated":"r","client.secret.rotated.expiration.time":"9"}}]}`,
		`{"realms":[{"realm":"a","clients":[{"clientId":"j","clientAuthenticatorType":"client-jwt","serviceAccountsEnabled":true,"attributes":{"jwt.credential.certificate":"MIIB"}}]}]}`,
		`[{"client_id":"h","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[{}]}}]`,
		`{"items":[{"client_id":"h","grant_types":["client_credentials"],"client_credentials_grant_access_token_lifespan":"1h"}]}`,
	} {
		f.Add([]byte(seed), "")
		f.Add([]byte(seed), "client_id,secret_hash\nh,$2a$10$x\n")
	}
	f.Fuzz(func(t *testing.T, file []byte, secrets string) {
		for _, format := range append([]string{""}, importfile.Formats...) {
			o := importfile.Options{Format: format, Environment: "sandbox", Account: "Acme"}
			if format == importfile.FormatHydra {
				o.Secrets = strings.NewReader(secrets)
			}
			importfile.ReadFile(bytes.NewReader(file), o)
		}
	})
}
