package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

const testAdminKey = "test-admin-key"

// adminServer is an admin API over a real SQLite store.
type adminServer struct {
	url   string
	store gatehouse.Store
}

// startAdminServer serves the admin API on a test server, with the sandbox
// and production environments, accepting testAdminKey.
func startAdminServer(t *testing.T) *adminServer {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, name := range []string{gatehouse.EnvSandbox, gatehouse.EnvProduction} {
		env := &gatehouse.Environment{Name: name, SigningAlgorithm: gatehouse.AlgES256, Tokens: gatehouse.DefaultTokenSettings(), CreatedAt: now, UpdatedAt: now}
		if err := store.CreateEnvironment(ctx, env); err != nil {
			t.Fatalf("create environment: %v", err)
		}
	}
	h := adminapi.New(adminapi.Config{
		Store: store,
		Authenticate: func(r *http.Request) (*gatehouse.Principal, error) {
			if r.Header.Get("Authorization") != "Bearer "+testAdminKey {
				return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "bad admin key")
			}
			return &gatehouse.Principal{Environment: gatehouse.EnvAdmin, Scopes: []string{gatehouse.ScopeAdminWrite}}, nil
		},
		Rand: rand.Reader,
		Now:  func() time.Time { return now },
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &adminServer{url: srv.URL, store: store}
}

// clearEnv empties every GATEHOUSE_* variable the commands read, so that the
// caller's environment does not leak into a test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{"SERVER", "ADMIN_KEY", "ADMIN_KEY_FILE", "JSON", "ENV", "CLIENT_ID", "CLIENT_SECRET", "SCOPE", "AUDIENCE", "AUTH"} {
		t.Setenv("GATEHOUSE_"+v, "")
	}
}

// run runs the gatehouse command line with args.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := NewRootCommand()
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// mustRun runs the command line and fails the test if it fails.
func mustRun(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := run(t, args...)
	if err != nil {
		t.Fatalf("gatehouse %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout, stderr
}

// decodeJSON decodes command output into v.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
}
