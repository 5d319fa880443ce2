package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportCommandReadsKeycloakAndHydraFiles(t *testing.T) {
	srv := startAdminServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	const secret = "Qv3Lx8Tn1Wb6Zk4Hr9Mc2Ys7Pd5Gf0Ja"

	t.Run("a Keycloak realm export is told from its content, its rows placed by path", func(t *testing.T) {
		realm := writeFile(t, "realm.json", `{
  "realm": "sandbox",
  "clients": [
    {"clientId": "admin-cli", "publicClient": true},
    {"clientId": "billing", "secret": "`+secret+`", "serviceAccountsEnabled": true, "publicClient": false,
     "defaultClientScopes": ["roles", "ledger:read"]}
  ]
}`)
		out, _ := mustRun(t, "import", realm, "--server", srv.url)
		for _, want := range []string{"clients[0]\tskip\tadmin-cli\ta built-in client of Keycloak", "clients[1]\tcreate\tbilling", "Dry run: 1 to create"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, secret) {
			t.Fatal("the report shows a secret")
		}
	})
	t.Run("a Hydra list takes --env, --account and --secrets", func(t *testing.T) {
		list := writeFile(t, "clients.json", `[{"client_id": "feed", "grant_types": ["client_credentials"], "scope": "feed:read",
  "token_endpoint_auth_method": "client_secret_post", "audience": ["https://feed.example"]}]`)
		secrets := writeFile(t, "secrets.csv", "client_id,secret\nfeed,"+secret+"\n")
		out, _ := mustRun(t, "import", list, "--server", srv.url, "--env", "production", "--account", "Feeds", "--secrets", secrets, "--apply")
		if !strings.Contains(out, "[0]\tcreate\tfeed") || !strings.Contains(out, "Applied: 1 created") {
			t.Fatalf("output:\n%s", out)
		}
		c, err := srv.store.Client(t.Context(), "feed")
		if err != nil || c.Environment != "production" || !c.VerifySecret(secret, c.CreatedAt) || !c.AllowsAudience("https://feed.example") {
			t.Fatalf("feed = %+v, %v", c, err)
		}
		_, _, err = run(t, "import", list, "--server", srv.url, "--secrets", secrets)
		if err == nil || !strings.Contains(err.Error(), "environment") {
			t.Fatalf("a Hydra list without --env: %v", err)
		}
	})
	t.Run("--format is checked before any request", func(t *testing.T) {
		_, _, err := run(t, "import", writeFile(t, "x.csv", "client_id\n"), "--server", "http://127.0.0.1:1", "--format", "ldif")
		if err == nil || !strings.Contains(err.Error(), "--format") {
			t.Fatalf("err = %v", err)
		}
	})
}
