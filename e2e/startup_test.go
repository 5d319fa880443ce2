package e2e

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// openFirstStart runs Open of a first start with cfg in an empty data
// directory and returns its error, what it printed to the terminal and the
// files it left in the data directory.
func openFirstStart(t *testing.T, cfg app.Config) (terminal string, files []string, err error) {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	out := &testenv.Logs{}
	m := app.New(cfg, slog.New(slog.NewTextHandler(out, nil)))
	m.Stderr = out
	err = m.Open(context.Background())
	if err == nil {
		m.Close()
	}
	entries, _ := os.ReadDir(cfg.DataDir)
	for _, e := range entries {
		files = append(files, e.Name())
	}
	return out.String(), files, err
}

func TestAFirstStartThatCannotServeWritesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		cfg  app.Config
		want string
	}{
		{"the port is in use", app.Config{Addr: busy.Addr().String()}, "listen on " + busy.Addr().String()},
		{"the Redis URL is malformed", app.Config{Redis: "http://127.0.0.1:6379"}, "redis URL"},
		{"the metrics port is in use", app.Config{Metrics: app.MetricsConfig{Listen: busy.Addr().String()}}, "for metrics"},
		{"the database is unreachable", app.Config{Database: "postgres://postgres@127.0.0.1:1/gatehouse?sslmode=disable&connect_timeout=2"}, "is unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			terminal, files, err := openFirstStart(t, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error that says %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "migration") {
				t.Errorf("the error blames a migration: %v", err)
			}
			if len(files) != 0 {
				t.Errorf("the failed first start left %v in the data directory", files)
			}
			if strings.Contains(terminal, "password") {
				t.Errorf("the failed first start printed an operator password:\n%s", terminal)
			}
		})
	}
}

// TestAnUnusableDataDirectoryIsNamed runs as an unprivileged user when the
// tests run as root (root may write anywhere).
func TestAnUnusableDataDirectoryIsNamed(t *testing.T) {
	parent, err := os.MkdirTemp("", "gatehouse-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	os.Chmod(parent, 0o755) // others may reach the directory, not use it
	dir := parent + "/locked"
	if err := os.Mkdir(dir, 0o000); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if os.Getenv("GATEHOUSE_TEST_UNPRIVILEGED") != "" {
			t.Fatal("still root")
		}
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("running as root and setpriv is missing: cannot check a directory root may not use")
		}
		exe, _ := os.Executable()
		cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", exe,
			"-test.run=^TestAnUnusableDataDirectoryIsNamed$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GATEHOUSE_TEST_UNPRIVILEGED="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("as an unprivileged user: %v\n%s", err, out)
		}
		return
	}
	if d := os.Getenv("GATEHOUSE_TEST_UNPRIVILEGED"); d != "" {
		dir = d
	}
	_, _, err = openFirstStart(t, app.Config{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open in an unreadable data directory: %v, want permission denied and the path", err)
	}
}

func TestMetricsOnTheirOwnAddressOrBehindTheAdminKey(t *testing.T) {
	get := func(t *testing.T, url, bearer string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("on a separate address they leave the main one", func(t *testing.T) {
		s := startServer(t, app.Config{Metrics: app.MetricsConfig{Listen: "127.0.0.1:0"}})
		if got := get(t, s.URL+"/metrics", ""); got != http.StatusNotFound {
			t.Errorf("/metrics on the main address: %d, want 404", got)
		}
		if got := get(t, "http://"+s.main.MetricsAddr()+"/metrics", ""); got != http.StatusOK {
			t.Errorf("/metrics on the metrics address: %d, want 200", got)
		}
	})
	t.Run("behind the admin key they need it", func(t *testing.T) {
		s := startServer(t, app.Config{Metrics: app.MetricsConfig{RequireAdminKey: true}})
		c := s.createClient(t, wire.CreateClientRequest{})
		for name, bearer := range map[string]string{"no credential": "", "a client's API key": c.APIKey, "a wrong key": "nope"} {
			if got := get(t, s.URL+"/metrics", bearer); got != http.StatusUnauthorized {
				t.Errorf("/metrics with %s: %d, want 401", name, got)
			}
		}
		if got := get(t, s.URL+"/metrics", s.AdminKey); got != http.StatusOK {
			t.Errorf("/metrics with the admin key: %d, want 200", got)
		}
	})
}
