package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

func TestClientCommands(t *testing.T) {
	srv := startAdminServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)

	var created map[string]any
	t.Run("client create --json prints the credential", func(t *testing.T) {
		out, _ := mustRun(t, "client", "create", "--server", srv.url, "--env", "sandbox", "--name", "acme",
			"--scope", "ledger:read,ledger:write", "--scope", "collection:read",
			"--audience", "https://api.example.com", "--allowed-cidr", "10.1.2.3/8", "--json")
		decodeJSON(t, out, &created)
		for _, k := range []string{"client_id", "client_secret", "api_key", "environment", "account_id", "scopes", "secrets"} {
			if _, ok := created[k]; !ok {
				t.Errorf("output lacks %q: %s", k, out)
			}
		}
		if created["environment"] != "sandbox" || created["name"] != "acme" {
			t.Errorf("output %s", out)
		}
		if got := created["scopes"].([]any); len(got) != 3 || got[2] != "collection:read" {
			t.Errorf("scopes %v", got)
		}
		if got := created["allowed_cidrs"].([]any); len(got) != 1 || got[0] != "10.0.0.0/8" {
			t.Errorf("allowed_cidrs %v", got)
		}
		id, secret, err := gatehouse.ParseAPIKey(created["api_key"].(string))
		if err != nil || id != created["client_id"] || secret != created["client_secret"] {
			t.Errorf("api key does not hold the credential: %v", err)
		}
	})
	clientID := created["client_id"].(string)

	var second adminclient.ClientWithSecret
	t.Run("client create prints readable lines and warns that the secret is shown once", func(t *testing.T) {
		out, errOut := mustRun(t, "client", "create", "--server", srv.url, "--env", "production", "--name", "globex")
		for _, want := range []string{"client_id:", "client_secret:", "api_key:", "gh_prd_", "environment:", "production", "account_id:"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if !strings.Contains(errOut, "shown only this once") {
			t.Errorf("no warning on stderr: %q", errOut)
		}
		out, _ = mustRun(t, "client", "list", "--server", srv.url, "--env", "production", "--json")
		var page adminclient.ClientPage
		decodeJSON(t, out, &page)
		if len(page.Items) != 1 {
			t.Fatalf("production clients: %s", out)
		}
		second.Client = page.Items[0]
	})

	t.Run("client create without --env fails", func(t *testing.T) {
		if _, _, err := run(t, "client", "create", "--server", srv.url, "--name", "x"); err == nil || !strings.Contains(err.Error(), "env") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("client create in an unknown environment reports the API error", func(t *testing.T) {
		_, _, err := run(t, "client", "create", "--server", srv.url, "--env", "staging", "--name", "x")
		var apiErr *adminclient.Error
		if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != "not_found" {
			t.Errorf("err = %#v", err)
		}
	})

	t.Run("client list shows every client as a table", func(t *testing.T) {
		out, _ := mustRun(t, "client", "list", "--server", srv.url)
		if !strings.HasPrefix(out, "CLIENT ID") || !strings.Contains(out, clientID) || !strings.Contains(out, second.ClientID) {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("client list filters by environment and account", func(t *testing.T) {
		out, _ := mustRun(t, "client", "list", "--server", srv.url, "--env", "sandbox", "--json")
		var page adminclient.ClientPage
		decodeJSON(t, out, &page)
		if len(page.Items) != 1 || page.Items[0].ClientID != clientID {
			t.Errorf("sandbox clients: %s", out)
		}
		out, _ = mustRun(t, "client", "list", "--server", srv.url, "--account", jsonNumber(created["account_id"]), "--json")
		decodeJSON(t, out, &page)
		if len(page.Items) != 1 || page.Items[0].ClientID != clientID {
			t.Errorf("clients of the account: %s", out)
		}
	})
	t.Run("client list --limit stops early and says where to go on", func(t *testing.T) {
		out, _ := mustRun(t, "client", "list", "--server", srv.url, "--limit", "1", "--json")
		var page adminclient.ClientPage
		decodeJSON(t, out, &page)
		if len(page.Items) != 1 || page.NextAfter != page.Items[0].ClientID {
			t.Errorf("output %s", out)
		}
	})

	t.Run("client show prints the client without secrets", func(t *testing.T) {
		out, _ := mustRun(t, "client", "show", "--server", srv.url, clientID)
		if !strings.Contains(out, clientID) || !strings.Contains(out, "ledger:read, ledger:write, collection:read") {
			t.Errorf("output:\n%s", out)
		}
		if strings.Contains(out, created["client_secret"].(string)) {
			t.Error("show prints the secret")
		}
		out, _ = mustRun(t, "client", "show", "--server", srv.url, clientID, "--json")
		var c adminclient.Client
		decodeJSON(t, out, &c)
		if c.ClientID != clientID || c.Status != "active" {
			t.Errorf("output %s", out)
		}
	})
	t.Run("client show of an unknown client fails with not found", func(t *testing.T) {
		_, _, err := run(t, "client", "show", "--server", srv.url, "nope")
		var apiErr *adminclient.Error
		if !errors.As(err, &apiErr) || apiErr.Code != "not_found" {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("client rotate --grace keeps the old secret for the grace period", func(t *testing.T) {
		out, _ := mustRun(t, "client", "rotate", "--server", srv.url, clientID, "--grace", "24h", "--json")
		var c adminclient.ClientWithSecret
		decodeJSON(t, out, &c)
		if c.ClientSecret == "" || c.ClientSecret == created["client_secret"] || len(c.Secrets) != 2 || c.Secrets[0].ExpiresAt == nil {
			t.Fatalf("output %s", out)
		}
		if got := c.Secrets[0].ExpiresAt.Sub(c.Secrets[1].CreatedAt); got.Hours() != 24 {
			t.Errorf("grace %v, want 24h", got)
		}
		stored, err := srv.store.Client(context.Background(), clientID)
		if err != nil || !stored.VerifySecret(c.ClientSecret, c.Secrets[1].CreatedAt) || !stored.VerifySecret(created["client_secret"].(string), c.Secrets[1].CreatedAt) {
			t.Errorf("stored secrets do not verify: %v", err)
		}
	})
	t.Run("client rotate --grace takes days", func(t *testing.T) {
		out, errOut := mustRun(t, "client", "rotate", "--server", srv.url, clientID, "--grace", "1d", "--json")
		var c adminclient.ClientWithSecret
		decodeJSON(t, out, &c)
		if !strings.Contains(errOut, "ends the older one") {
			t.Errorf("a third rotation during a grace period did not say that it ends the oldest secret:\n%s", errOut)
		}
		if len(c.Secrets) != 2 || c.Secrets[0].ExpiresAt == nil || c.Secrets[0].ExpiresAt.Sub(c.Secrets[1].CreatedAt).Hours() != 24 {
			t.Fatalf("--grace 1d: %s", out)
		}
		if _, _, err := run(t, "client", "rotate", "--server", srv.url, clientID, "--grace", "1w"); err == nil || !strings.Contains(err.Error(), "--grace") {
			t.Fatalf("--grace 1w: %v, want an error naming --grace", err)
		}
	})
	t.Run("client create --scope trims the spaces around commas", func(t *testing.T) {
		out, _ := mustRun(t, "client", "create", "--server", srv.url, "--env", "sandbox", "--name", "spaced",
			"--scope", "ledger:read, ledger:write", "--json")
		var c adminclient.ClientWithSecret
		decodeJSON(t, out, &c)
		if strings.Join(c.Scopes, "|") != "ledger:read|ledger:write" {
			t.Fatalf("scopes %q, want ledger:read and ledger:write", c.Scopes)
		}
	})
	t.Run("client create and update refuse a bad --allowed-cidr, naming the flag", func(t *testing.T) {
		for _, args := range [][]string{
			{"client", "create", "--server", srv.url, "--env", "sandbox", "--name", "cidr", "--allowed-cidr", "10.0.0.0/8,not-a-prefix"},
			{"client", "update", "--server", srv.url, clientID, "--allowed-cidr", "not-a-prefix"},
		} {
			if _, _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), `--allowed-cidr "not-a-prefix"`) {
				t.Errorf("%s: %v, want an error naming --allowed-cidr", args[1], err)
			}
		}
	})
	t.Run("client rotate without grace prints the new secret", func(t *testing.T) {
		out, errOut := mustRun(t, "client", "rotate", "--server", srv.url, clientID)
		if !strings.Contains(out, "client_secret:") || !strings.Contains(errOut, "shown only this once") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
		}
	})
	t.Run("client rotate refuses a negative grace", func(t *testing.T) {
		if _, _, err := run(t, "client", "rotate", "--server", srv.url, clientID, "--grace", "-1h"); err == nil {
			t.Error("no error")
		}
	})
	t.Run("client rotate refuses a grace past 30 days, naming the flag", func(t *testing.T) {
		if _, _, err := run(t, "client", "rotate", "--server", srv.url, clientID, "--grace", "40d"); err == nil || !strings.Contains(err.Error(), "--grace 40d must be between 0 and 30d") {
			t.Errorf("--grace 40d: %v, want an error naming --grace and its limit", err)
		}
	})

	t.Run("client revoke revokes, and again", func(t *testing.T) {
		for range 2 {
			out, _ := mustRun(t, "client", "revoke", "--server", srv.url, clientID)
			if !strings.Contains(out, "revoked") {
				t.Errorf("output %q", out)
			}
		}
		out, _ := mustRun(t, "client", "revoke", "--server", srv.url, clientID, "--json")
		var c adminclient.Client
		decodeJSON(t, out, &c)
		if c.Status != "revoked" {
			t.Errorf("output %s", out)
		}
	})
	t.Run("client rotate of a revoked client is a conflict", func(t *testing.T) {
		_, _, err := run(t, "client", "rotate", "--server", srv.url, clientID)
		var apiErr *adminclient.Error
		if !errors.As(err, &apiErr) || apiErr.Status != 409 {
			t.Errorf("err = %v", err)
		}
	})
}

func TestAdminKeyAndServerSources(t *testing.T) {
	srv := startAdminServer(t)
	clearEnv(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "admin.key")
	if err := os.WriteFile(keyFile, []byte(testAdminKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrongFile := filepath.Join(dir, "wrong.key")
	os.WriteFile(wrongFile, []byte("wrong\n"), 0o600)

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"the key comes from --admin-key-file without its newline", nil, []string{"--server", srv.url, "--admin-key-file", keyFile}, ""},
		{"GATEHOUSE_ADMIN_KEY_FILE names the key file", map[string]string{"GATEHOUSE_ADMIN_KEY_FILE": keyFile}, []string{"--server", srv.url}, ""},
		{"GATEHOUSE_SERVER names the server", map[string]string{"GATEHOUSE_SERVER": srv.url}, []string{"--admin-key-file", keyFile}, ""},
		{"GATEHOUSE_ADMIN_KEY beats the key file", map[string]string{"GATEHOUSE_ADMIN_KEY": testAdminKey}, []string{"--server", srv.url, "--admin-key-file", wrongFile}, ""},
		{"a flag beats the environment", map[string]string{"GATEHOUSE_ADMIN_KEY_FILE": wrongFile}, []string{"--server", srv.url, "--admin-key-file", keyFile}, ""},
		{"a wrong key is unauthorized", nil, []string{"--server", srv.url, "--admin-key-file", wrongFile}, "unauthorized"},
		{"a missing key file says how to give the key", nil, []string{"--server", srv.url, "--admin-key-file", filepath.Join(dir, "none")}, "GATEHOUSE_ADMIN_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, _, err := run(t, append([]string{"account", "list"}, tt.args...)...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestAccountCommands(t *testing.T) {
	srv := startAdminServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)

	var a adminclient.Account
	t.Run("account create --json prints the account", func(t *testing.T) {
		out, _ := mustRun(t, "account", "create", "--server", srv.url, "--name", "Acme Ltd", "--json")
		decodeJSON(t, out, &a)
		if a.ID <= 0 || a.Name != "Acme Ltd" {
			t.Errorf("output %s", out)
		}
	})
	t.Run("account create says what it made", func(t *testing.T) {
		out, _ := mustRun(t, "account", "create", "--server", srv.url, "--name", "Globex")
		if !strings.HasPrefix(out, "Created account ") || !strings.Contains(out, "Globex") {
			t.Errorf("output %q", out)
		}
	})
	t.Run("account create without a name fails", func(t *testing.T) {
		if _, _, err := run(t, "account", "create", "--server", srv.url); err == nil {
			t.Error("no error")
		}
	})

	// More accounts than one page holds.
	for range pageSize + 3 {
		if err := srv.store.CreateAccount(context.Background(), &gatehouse.Account{Name: "bulk"}); err != nil {
			t.Fatal(err)
		}
	}
	total := pageSize + 5
	t.Run("account list follows the pages to the end", func(t *testing.T) {
		out, _ := mustRun(t, "account", "list", "--server", srv.url, "--json")
		var page adminclient.AccountPage
		decodeJSON(t, out, &page)
		if len(page.Items) != total || page.NextAfter != nil {
			t.Errorf("%d accounts, next_after %v; want %d", len(page.Items), page.NextAfter, total)
		}
		ids := make([]int64, 0, len(page.Items))
		for _, a := range page.Items {
			ids = append(ids, a.ID)
		}
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != total {
			t.Error("accounts are not distinct and in id order")
		}
	})
	t.Run("account list --limit lists that many", func(t *testing.T) {
		out, errOut := mustRun(t, "account", "list", "--server", srv.url, "--limit", "3")
		if lines := strings.Count(out, "\n"); lines != 4 || !strings.HasPrefix(out, "ID") || !strings.Contains(out, "Acme Ltd") {
			t.Errorf("output:\n%s", out)
		}
		if !strings.Contains(errOut, "More accounts follow") {
			t.Errorf("stderr %q", errOut)
		}
	})
	t.Run("account show prints one account", func(t *testing.T) {
		out, _ := mustRun(t, "account", "show", "--server", srv.url, jsonNumber(float64(a.ID)))
		if !strings.Contains(out, "Acme Ltd") {
			t.Errorf("output %q", out)
		}
	})
}

// jsonNumber formats a number decoded from JSON as an integer argument.
func jsonNumber(v any) string { return strconv.FormatInt(int64(v.(float64)), 10) }
