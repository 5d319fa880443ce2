package e2e

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// importedSecret is a secret of an old server: strong enough (base62, 40
// characters) to be re-hashed into the native form on first use.
const importedSecret = "Kq7Vw2mZ9xLp4TtR8yBn3HcJ6sFd1GgE5aUoWiYk"

func mustBcrypt(t testing.TB, secret string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// oryPBKDF2 is the form Ory Hydra stores client secrets in.
func oryPBKDF2(t *testing.T, secret string) string {
	t.Helper()
	salt := []byte("0123456789abcdef")
	key, err := pbkdf2.Key(sha256.New, secret, salt, 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("$pbkdf2-sha256$i=1000,l=32$%s$%s", base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func importFile(t *testing.T, s *server, file string, apply bool) *adminclient.ImportReport {
	t.Helper()
	rep, err := s.Admin.Import(context.Background(), strings.NewReader(file), apply)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func importedHashOf(t *testing.T, s *server, id string) string {
	t.Helper()
	c, err := s.Admin.Client(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Secrets) != 1 {
		t.Fatalf("client %s has %d secrets", id, len(c.Secrets))
	}
	return c.Secrets[0].ImportedHash
}

// TestImportedSecretsWorkAtEveryDialect imports one file of a home-grown
// server (bcrypt, Ory PBKDF2 and salted SHA-256 hashes, and a UUID-shaped
// legacy API key) and uses its credentials at the Keycloak-, Lengow- and
// Lemonway-style endpoints; the first use re-hashes a bcrypt secret into the
// native form and the secret still works.
func TestImportedSecretsWorkAtEveryDialect(t *testing.T) {
	s := startServer(t, app.Config{})
	salted := sha256.Sum256([]byte("s4lt" + importedSecret))
	const legacyKey = "0b5e7c1a-93d2-4f6e-8a41-7c2d9e0f3b68"
	file := "client_id,secret_hash,api_key,account,environment,scopes,name\n" +
		"billing-svc," + mustBcrypt(t, importedSecret) + ",,Acme,sandbox,ledger:read,Billing\n" +
		"feed-svc,\"" + oryPBKDF2(t, importedSecret) + "\",,Acme,production,feed:read,Feed\n" +
		"wallet-svc,sha256$s4lt$" + hex.EncodeToString(salted[:]) + ",,Acme,sandbox,wallet:read,Wallet\n" +
		",," + legacyKey + ",Acme,sandbox,wallet:read,Wallet (old key)\n"

	dry := importFile(t, s, file, false)
	if dry.Applied || dry.Created != 4 || dry.Refused != 0 {
		t.Fatalf("dry run = %+v", dry)
	}
	if _, err := s.Admin.Client(context.Background(), "billing-svc"); err == nil {
		t.Fatal("a dry run wrote a client")
	}
	rep := importFile(t, s, file, true)
	if !rep.Applied || rep.Created != 4 {
		t.Fatalf("import = %+v", rep)
	}
	if got := importedHashOf(t, s, "billing-svc"); got != "bcrypt" {
		t.Fatalf("before first use the secret is under %q, want bcrypt", got)
	}

	keycloak := s.URL + "/auth/realms/sandbox/protocol/openid-connect/token"
	for i := 0; i < 2; i++ {
		resp, body := send(t, http.MethodPost, keycloak, curlData, "grant_type=client_credentials&client_id=billing-svc&client_secret="+importedSecret)
		if resp.StatusCode != 200 || body["scope"] != "ledger:read" {
			t.Fatalf("Keycloak-style request %d: %d %v", i, resp.StatusCode, body)
		}
	}
	resp, body := send(t, http.MethodPost, keycloak, curlData, "grant_type=client_credentials&client_id=billing-svc&client_secret=wrong"+importedSecret)
	if resp.StatusCode != 401 || body["error"] != "invalid_client" {
		t.Fatalf("a wrong secret: %d %v", resp.StatusCode, body)
	}

	resp, body = send(t, http.MethodPost, s.URL+"/access/get_token", map[string]string{"Content-Type": "application/json"},
		`{"access_token":"feed-svc","secret":"`+importedSecret+`"}`)
	if resp.StatusCode != 200 || body["token"] == nil || body["user_id"] != nil {
		t.Fatalf("Lengow-style: %d %v", resp.StatusCode, body)
	}

	basic := base64.StdEncoding.EncodeToString([]byte("wallet-svc:" + importedSecret))
	resp, body = send(t, http.MethodPost, s.URL+"/oauth/api/v1/oauth/token", lemonwayHeaders("basic "+basic), "Grant_type=client_credentials")
	if resp.StatusCode != 200 || body["token_Type"] != "Bearer" || body["expires_in"] != 7776000.0 {
		t.Fatalf("Lemonway-style: %d %v", resp.StatusCode, body)
	}
	resp, body = send(t, http.MethodPost, s.URL+"/oauth/api/v1/oauth/token", lemonwayHeaders("basic "+legacyKey), "Grant_type=client_credentials")
	if resp.StatusCode != 200 || body["token_Type"] != "Bearer" || body["expires_in"] != 7776000.0 {
		t.Fatalf("Lemonway-style with the legacy key: %d %v", resp.StatusCode, body)
	}

	// The re-hash runs off the request; wait for it, then the secret is in
	// the native form and still works.
	s.main.WaitRehashes()
	for _, id := range []string{"billing-svc", "feed-svc", "wallet-svc"} {
		if got := importedHashOf(t, s, id); got != "" {
			t.Fatalf("after first use %s is still under %q", id, got)
		}
	}
	resp, body = send(t, http.MethodPost, keycloak, curlData, "grant_type=client_credentials&client_id=billing-svc&client_secret="+importedSecret)
	if resp.StatusCode != 200 {
		t.Fatalf("after the re-hash: %d %v", resp.StatusCode, body)
	}

	t.Run("running the import again changes nothing", func(t *testing.T) {
		again := importFile(t, s, file, true)
		if again.Created+again.Updated+again.Refused != 0 || again.Skipped != 4 {
			t.Fatalf("second run = %+v", again)
		}
		if got := importedHashOf(t, s, "billing-svc"); got != "" {
			t.Fatalf("a second run brought back the imported hash %q", got)
		}
	})
	t.Run("a bad row refuses the whole file with its line number", func(t *testing.T) {
		bad := "client_id,secret_hash,account,environment\n" +
			"new-1," + mustBcrypt(t, importedSecret) + ",Acme,sandbox\n" +
			"new-2,md5$0123,Acme,sandbox\n" +
			"new-3," + mustBcrypt(t, importedSecret) + ",Acme,nowhere\n"
		rep := importFile(t, s, bad, true)
		if rep.Applied || rep.Refused != 2 || rep.Rows[1].Line != 3 || rep.Rows[1].Action != "refuse" ||
			rep.Rows[2].Line != 4 || !strings.Contains(rep.Rows[2].Reason, "nowhere") {
			t.Fatalf("report = %+v", rep)
		}
		if _, err := s.Admin.Client(context.Background(), "new-1"); err == nil {
			t.Fatal("the good row of a refused file was written")
		}
	})
	t.Run("no secret reaches the report or the log", func(t *testing.T) {
		if logs := s.Logs.String(); strings.Contains(logs, importedSecret) || strings.Contains(logs, legacyKey) {
			t.Fatal("the log holds an imported secret or key")
		}
	})
}

// TestImportedLegacyAPIKeyWorksAtTheLemonwayEndpoint imports a Lemonway-style
// UUID API key and sends it as it always was: "Authorization: basic <key>".
func TestImportedLegacyAPIKeyWorksAtTheLemonwayEndpoint(t *testing.T) {
	s := startServer(t, app.Config{})
	const key = "da012c0f-b1a7-4f86-8279-3cd69b9185e2"
	file := "api_key,account,environment,scopes,name\n" + key + ",Wallets Inc,sandbox,wallet:read,Wallet app\n" +
		"not-a-key,Wallets Inc,sandbox,wallet:read,Weak\n"
	if rep := importFile(t, s, file, true); rep.Applied || rep.Refused != 1 || rep.Rows[1].Line != 3 ||
		strings.Contains(rep.Rows[1].Reason, "not-a-key") {
		t.Fatalf("a weak legacy key must refuse the file without echoing it: %+v", rep)
	}
	rep := importFile(t, s, strings.Split(file, "not-a-key")[0], true)
	if !rep.Applied || rep.Created != 1 || !strings.HasPrefix(rep.Rows[0].ClientID, "lk-") {
		t.Fatalf("import = %+v", rep)
	}
	target := s.URL + "/oauth/api/v1/oauth/token"
	resp, body := send(t, http.MethodPost, target, lemonwayHeaders("basic "+key), "Grant_type=client_credentials")
	if resp.StatusCode != 200 || body["token_Type"] != "Bearer" || body["expires_in"] != 7776000.0 {
		t.Fatalf("legacy key: %d %v", resp.StatusCode, body)
	}
	resp, body = send(t, http.MethodPost, target, lemonwayHeaders("basic "+strings.Replace(key, "d", "e", 1)), "Grant_type=client_credentials")
	if resp.StatusCode != 401 {
		t.Fatalf("a mistyped legacy key: %d %v", resp.StatusCode, body)
	}
	c, err := s.Admin.Client(context.Background(), rep.Rows[0].ClientID)
	if err != nil || !c.LegacyAPIKey || c.Name != "Wallet app" {
		t.Fatalf("client = %+v, %v; want it flagged legacy", c, err)
	}
	if again := importFile(t, s, strings.Split(file, "not-a-key")[0], true); again.Skipped != 1 || again.Created+again.Updated != 0 {
		t.Fatalf("second run = %+v", again)
	}
	if strings.Contains(s.Logs.String(), key) {
		t.Fatal("the log holds the legacy key")
	}
}
