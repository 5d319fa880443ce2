package adminapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// Bearer tokens the fake authenticator knows.
const (
	writeToken   = "write-token"
	readToken    = "read-token"
	noScopeToken = "no-scope-token"
)

// fixture is an admin API over a real SQLite store, with a settable clock
// and a count of cache refreshes.
type fixture struct {
	store      gatehouse.Store
	handler    *Handler
	refreshes  atomic.Int32
	refreshErr error // what Refresh returns
	log        testenv.Logs

	mu  sync.Mutex
	now time.Time
}

var startTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newFixture returns an admin API whose store has the sandbox and production
// environments.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWithStore(t, openStore(t))
}

func newFixtureWithStore(t *testing.T, store gatehouse.Store) *fixture {
	t.Helper()
	f := &fixture{store: store, now: startTime}
	f.handler = New(Config{
		Store:        store,
		Authenticate: authenticate,
		Refresh: func(ctx context.Context) error {
			f.refreshes.Add(1)
			return f.refreshErr
		},
		IssuerURL: func(env string) string { return "https://auth.example.com/realms/" + env },
		Rand:      rand.NewChaCha8([32]byte{1, 2, 3}),
		Now:       f.clock,
		Logger:    slog.New(slog.NewJSONHandler(&f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return f
}

// openStore opens a migrated SQLite store in a temporary directory and seeds
// the sandbox and production environments.
func openStore(t *testing.T) gatehouse.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate store: %v", err)
	}
	for _, name := range []string{gatehouse.EnvSandbox, gatehouse.EnvProduction} {
		env := &gatehouse.Environment{
			Name:             name,
			SigningAlgorithm: gatehouse.AlgES256,
			Tokens:           gatehouse.DefaultTokenSettings(),
			CreatedAt:        startTime,
			UpdatedAt:        startTime,
		}
		if err := s.CreateEnvironment(ctx, env); err != nil {
			t.Fatalf("create environment %s: %v", name, err)
		}
	}
	return s
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// authenticate knows three bearer tokens: one with admin:write, one with
// admin:read, and one without admin scopes.
func authenticate(r *http.Request) (*gatehouse.Principal, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "a bearer token is required")
	}
	p := &gatehouse.Principal{ClientID: "admin-client", Environment: gatehouse.EnvAdmin}
	switch token {
	case writeToken:
		p.Scopes = []string{gatehouse.ScopeAdminWrite}
	case readToken:
		p.Scopes = []string{gatehouse.ScopeAdminRead}
	case noScopeToken:
		p.Scopes = []string{"ledger:read"}
	default:
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "the bearer token is not valid")
	}
	return p, nil
}

// do sends a request to the admin API as the holder of token ("" for none).
func (f *fixture) do(t *testing.T, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(t, method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return serve(f, req)
}

// must sends a request and checks its status.
func (f *fixture) must(t *testing.T, status int, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := f.do(t, method, path, token, body)
	if rec.Code != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	return rec
}

// decode decodes a JSON answer into v, refusing fields v does not have.
func decode(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(rec.Body.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
}

// keys returns the top-level keys of a JSON object answer.
func keys(t *testing.T, body string) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkError checks that an answer is an admin API error with the status and
// code given.
func checkError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	decode(t, rec, &e)
	if e.Error.Code != code {
		t.Errorf("error code %q, want %q (message %q)", e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" {
		t.Error("error message is empty")
	}
}

// newRequest returns a request to the admin API.
func newRequest(t *testing.T, method, path string, body io.Reader) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, path, body)
}

// serve runs one request through the fixture's handler.
func serve(f *fixture, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, r)
	return rec
}

// contains reports whether s contains every one of subs.
func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
