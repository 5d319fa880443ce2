package e2e

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// server is a running Gatehouse.
type server struct {
	main     *app.Main
	URL      string
	AdminKey string
	Admin    *adminclient.API
	Logs     *testenv.Logs
	stop     func()
}

// startServer runs the real server on 127.0.0.1:0 with cfg (a temporary
// data directory unless cfg names one) and stops it when the test ends.
func startServer(t testing.TB, cfg app.Config) *server {
	t.Helper()
	return startServerWith(t, cfg, nil)
}

// sharedTestMasterKey is the master key of servers started on a database
// named in their configuration (PostgreSQL, or a SQLite file outside their
// data directory), which other replicas of the test may share.
const sharedTestMasterKey = "Z2F0ZWhvdXNlLWUyZS1zaGFyZWQtbWFzdGVyLWtleSE="

// startServerWith is startServer with a hook that may change the Main
// (its clock, say) before it opens.
func startServerWith(t testing.TB, cfg app.Config, prepare func(*app.Main)) *server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.AdminPassword == "" {
		cfg.AdminPassword = "operator-password-for-tests"
	}
	if cfg.Database != "" && cfg.MasterKey == "" {
		// Replicas sharing a database must share the master key, as
		// signing keys are sealed under it; each test's replicas get this
		// one unless the test chooses.
		cfg.MasterKey = sharedTestMasterKey
	}
	logs := &testenv.Logs{}
	m := app.New(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	m.Stderr = logs
	if prepare != nil {
		prepare(m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	key, err := os.ReadFile(m.AdminKeyFile()) // absent on a second replica
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	s := &server{main: m, URL: "http://" + m.Addr(), AdminKey: strings.TrimSpace(string(key)), Logs: logs}
	s.Admin = adminclient.New(s.URL, s.AdminKey, nil)
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server stopped with %v", err)
			}
			if err := m.Close(); err != nil {
				t.Errorf("close server: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

// tokenURL is the standard token endpoint of env.
func (s *server) tokenURL(env string) string {
	return s.URL + "/realms/" + env + "/protocol/openid-connect/token"
}

// createClient creates a client through the admin API.
func (s *server) createClient(t testing.TB, req wire.CreateClientRequest) *wire.ClientWithSecret {
	t.Helper()
	if req.Environment == "" {
		req.Environment = "sandbox"
	}
	if req.Name == "" {
		req.Name = "acme"
	}
	c, err := s.Admin.CreateClient(context.Background(), req)
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	return c
}

// postForm sends a form to url with optional Basic credentials and headers.
func postForm(t *testing.T, target string, form url.Values, basicID, basicSecret string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// eventually retries f until it returns nil or the deadline passes.
func eventually(t *testing.T, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errNotYet = errors.New("not yet")

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward.
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
