package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse-dev/gatehouse"
)

// TestExportAndApplyCommands runs export and apply against an admin API:
// secret references are resolved, generated secrets and invitation links go
// to a 0600 file and never to the terminal, a second apply changes nothing,
// a dry run and a refused file write nothing.
func TestExportAndApplyCommands(t *testing.T) {
	srv := startLifecycleServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	ctx := context.Background()
	dir := t.TempDir()
	t.Chdir(dir)

	const fromEnv = "EnvSecret0123456789abcdefghijklmnopqrstuvwx"
	const fromFile = "FileSecret0123456789abcdefghijklmnopqrstuvw"
	t.Setenv("ACME_LEDGER_SECRET", fromEnv)
	if err := os.WriteFile(filepath.Join(dir, "billing.secret"), []byte(fromFile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := `version: 1
accounts:
  - id: 7
    name: Acme
users:
  - email: owner@acme.example
    account: 7
    role: owner
clients:
  - id: AcmeLedger0123456789
    environment: sandbox
    account: 7
    name: ledger
    scopes: [ledger:read]
    secret_from_env: ACME_LEDGER_SECRET
  - id: AcmeBilling012345678
    environment: production
    account: 7
    name: billing
    allowed_cidrs: [203.0.113.0/24]
    secret_from_file: billing.secret
  - id: AcmeReports012345678
    environment: sandbox
    account: 7
    name: reports
`
	path := filepath.Join(dir, "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}

	out, _ := mustRun(t, "apply", "-f", path, "--server", srv.url, "--dry-run")
	if !strings.Contains(out, "+ create client AcmeLedger0123456789") || !strings.Contains(out, "Dry run: nothing was written.") {
		t.Fatalf("dry run plan:\n%s", out)
	}
	if _, err := os.Stat(defaultSecretsOut); err == nil {
		t.Fatal("a dry run wrote a secrets file")
	}
	if _, err := srv.store.Client(ctx, "AcmeLedger0123456789"); err == nil {
		t.Fatal("a dry run created a client")
	}

	out, stderr := mustRun(t, "apply", "-f", path, "--server", srv.url)
	if !strings.Contains(out, "Plan: 5 to create") || !strings.Contains(out, "Applied.") || !strings.Contains(out, defaultSecretsOut) {
		t.Fatalf("apply output:\n%s", out)
	}
	st, err := os.Stat(defaultSecretsOut)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("the secrets file has mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(defaultSecretsOut)
	var saved secretsFile
	if err := yaml.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	var generated string
	for _, c := range saved.Credentials {
		if c.ClientID == "AcmeReports012345678" {
			generated = c.ClientSecret
		} else if c.ClientSecret != "" {
			t.Errorf("the secrets file repeats the referenced secret of %s", c.ClientID)
		}
	}
	if len(saved.Credentials) != 3 || generated == "" || len(saved.Invitations) != 1 || !strings.Contains(saved.Invitations[0].Link, "/ui/invitations/") {
		t.Fatalf("secrets file:\n%s", b)
	}
	for _, s := range []string{fromEnv, fromFile, generated, saved.Invitations[0].Link, saved.Credentials[0].APIKey} {
		if strings.Contains(out+stderr, s) {
			t.Fatal("a secret, API key or invitation link was printed")
		}
	}
	for id, secret := range map[string]string{"AcmeLedger0123456789": fromEnv, "AcmeBilling012345678": fromFile, "AcmeReports012345678": generated} {
		c, err := srv.store.Client(ctx, id)
		if err != nil || !c.VerifySecret(secret, c.CreatedAt) {
			t.Fatalf("client %s does not take its secret: %v", id, err)
		}
	}

	out, _ = mustRun(t, "apply", "-f", path, "--server", srv.url)
	if !strings.Contains(out, "No changes: the server matches the file.") {
		t.Fatalf("a second apply:\n%s", out)
	}
	out, _ = mustRun(t, "apply", "-f", path, "--server", srv.url, "--json")
	if !strings.Contains(out, `"applied": false`) || !strings.Contains(out, `"dry_run": false`) || !strings.Contains(out, `"changes": []`) {
		t.Fatalf("a second apply --json:\n%s", out)
	}

	// A change needs the secrets file out of the way, or leave to overwrite.
	changed := strings.Replace(file, "scopes: [ledger:read]", "scopes: [ledger:read, ledger:write]", 1)
	changed = strings.Replace(changed, "name: reports\n", "name: reports\n  - id: AcmeNew0123456789012\n    environment: sandbox\n    account: 7\n    name: new\n", 1)
	if err := os.WriteFile(path, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "apply", "-f", path, "--server", srv.url); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("apply over an existing secrets file: %v", err)
	}
	if _, err := srv.store.Client(ctx, "AcmeNew0123456789012"); err == nil {
		t.Fatal("apply refused for its secrets file still created a client")
	}
	out, _ = mustRun(t, "apply", "-f", path, "--server", srv.url, "--secrets-out", "second.yaml", "--json")
	for _, want := range []string{`"action": "update"`, `"field": "scopes"`, `"secrets_out": "second.yaml"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("apply --json lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "client_secret") || strings.Contains(out, "api_key") {
		t.Fatalf("apply --json printed a credential:\n%s", out)
	}

	bad := strings.Replace(changed, "allowed_cidrs: [203.0.113.0/24]", "allowed_cidrs: [203.0.113.0/24, not-a-cidr]", 1)
	bad = strings.Replace(bad, "name: Acme", "name: Acme\n  - id: 8\n    name: Never", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = run(t, "apply", "-f", path, "--server", srv.url, "--secrets-out", "third.yaml")
	if err == nil || !strings.Contains(err.Error(), "clients[1].allowed_cidrs[1]") {
		t.Fatalf("a bad entry: %v", err)
	}
	if _, err := srv.store.Account(ctx, 8); err == nil {
		t.Fatal("a refused file created an account")
	}
	if _, err := os.Stat("third.yaml"); err == nil {
		t.Fatal("a refused apply left a secrets file")
	}

	os.Unsetenv("ACME_LEDGER_SECRET")
	if _, _, err := run(t, "apply", "-f", path, "--server", srv.url, "--dry-run"); err == nil || !strings.Contains(err.Error(), "clients[0].secret_from_env") {
		t.Fatalf("a missing variable: %v", err)
	}

	out, _ = mustRun(t, "export", "--server", srv.url, "--account", "7")
	again, _ := mustRun(t, "export", "--server", srv.url, "--account", "7")
	if out != again || !strings.Contains(out, "id: AcmeBilling012345678") || strings.Contains(out, "sha256:") {
		t.Fatalf("export:\n%s\nthen:\n%s", out, again)
	}
	for _, s := range []string{fromEnv, fromFile, generated} {
		if strings.Contains(out, s) {
			t.Fatal("the export holds a secret")
		}
	}
	mustRun(t, "export", "--server", srv.url, "--include-hashes", "-o", "move.yaml")
	if st, err := os.Stat("move.yaml"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("export -o: %v %v", st, err)
	}
	if c, _ := srv.store.Client(ctx, "AcmeLedger0123456789"); c == nil || c.Status != gatehouse.ClientActive {
		t.Fatal("the ledger client is gone")
	}
}
