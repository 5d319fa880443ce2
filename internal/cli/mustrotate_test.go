package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// TestClientListAndShowFlagImportedClients imports a must-rotate client and
// one with another server's API key, and finds both marked in client list
// (a FLAGS column, and the fields of --json) and client show; a rotation
// clears must-rotate.
func TestClientListAndShowFlagImportedClients(t *testing.T) {
	srv := startAdminServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	file := filepath.Join(t.TempDir(), "clients.csv")
	const key = "da012c0f-b1a7-4f86-8279-3cd69b9185e2"
	csv := "client_id,api_key,account,environment,must_rotate\n" +
		"hydra-svc,,Acme,sandbox,true\n" +
		"," + key + ",Acme,sandbox,\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "import", file, "--apply", "--server", srv.url)

	out, _ := mustRun(t, "client", "list", "--server", srv.url, "--env", "sandbox")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "FLAGS") {
		t.Fatalf("client list:\n%s", out)
	}
	var legacyID string
	for _, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "hydra-svc ") && strings.HasSuffix(l, " must-rotate"):
		case strings.HasPrefix(l, "lk-") && strings.HasSuffix(l, " legacy-key"):
			legacyID = strings.Fields(l)[0]
		default:
			t.Fatalf("client list line %q lacks its flag:\n%s", l, out)
		}
	}

	out, _ = mustRun(t, "client", "list", "--server", srv.url, "--env", "sandbox", "--json")
	var page adminclient.ClientPage
	decodeJSON(t, out, &page)
	for _, c := range page.Items {
		if c.MustRotate != (c.ClientID == "hydra-svc") || c.LegacyAPIKey != (c.ClientID == legacyID) {
			t.Fatalf("client list --json: %s", out)
		}
	}
	if !strings.Contains(out, `"must_rotate": true`) || !strings.Contains(out, `"legacy_api_key": true`) {
		t.Fatalf("client list --json lacks the fields:\n%s", out)
	}

	out, _ = mustRun(t, "client", "show", "hydra-svc", "--server", srv.url)
	if !strings.Contains(out, "must_rotate:") || !strings.Contains(out, "gatehouse client rotate hydra-svc") {
		t.Fatalf("client show:\n%s", out)
	}
	if out, _ = mustRun(t, "client", "show", legacyID, "--server", srv.url); !strings.Contains(out, "legacy_api_key:") ||
		strings.Contains(out, "must_rotate:") {
		t.Fatalf("client show of the legacy key client:\n%s", out)
	}

	mustRun(t, "client", "rotate", "hydra-svc", "--server", srv.url)
	if out, _ = mustRun(t, "client", "show", "hydra-svc", "--server", srv.url); strings.Contains(out, "must_rotate:") {
		t.Fatalf("client show after the rotation:\n%s", out)
	}
}
