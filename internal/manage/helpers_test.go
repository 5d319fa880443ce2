package manage

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/password"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

var startTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is a Service over a real SQLite store with the sandbox and
// production environments, two accounts (acme and beta) and a settable
// clock.
type fixture struct {
	store   gatehouse.Store
	service *Service
	acme    *gatehouse.Account
	beta    *gatehouse.Account
	ctx     context.Context

	mu  sync.Mutex
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
}

// newFixtureOn is newFixture on the database dsn names.
func newFixtureOn(t *testing.T, dsn string) *fixture {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, now: startTime, ctx: ctx}
	f.service = New(Config{Store: s, Rand: rand.NewChaCha8([32]byte{7}), Now: f.clock, PublicURL: "https://auth.example.com"})
	for _, name := range []string{gatehouse.EnvSandbox, gatehouse.EnvProduction, gatehouse.EnvAdmin} {
		env := &gatehouse.Environment{Name: name, SigningAlgorithm: gatehouse.AlgES256, Tokens: gatehouse.DefaultTokenSettings(),
			Limits: gatehouse.DefaultRateLimits(), CreatedAt: startTime, UpdatedAt: startTime}
		if err := s.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	f.acme = f.account(t, "Acme")
	f.beta = f.account(t, "Beta")
	return f
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

func (f *fixture) account(t *testing.T, name string) *gatehouse.Account {
	t.Helper()
	a, err := f.service.CreateAccount(f.ctx, apiWriter(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// client creates a client of account in the sandbox as an admin API caller.
func (f *fixture) client(t *testing.T, account int64) *ClientWithSecret {
	t.Helper()
	c, err := f.service.CreateClient(f.ctx, apiWriter(), NewClient{Environment: gatehouse.EnvSandbox, AccountID: account, Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// user stores a user with password pw and returns its principal.
func (f *fixture) user(t *testing.T, email, pw string, account int64, role string, operator bool) *gatehouse.Principal {
	t.Helper()
	h, err := password.Hash(pw, rand.NewChaCha8([32]byte{9}))
	if err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{Email: email, PasswordHash: h, AccountID: account, Role: role, Operator: operator, CreatedAt: startTime}
	if err := f.store.CreateUser(f.ctx, u); err != nil {
		t.Fatal(err)
	}
	return gatehouse.UserPrincipal(u, "198.51.100.7")
}

func apiWriter() *gatehouse.Principal {
	return &gatehouse.Principal{ClientID: "admin-client", Environment: gatehouse.EnvAdmin,
		Scopes: []string{gatehouse.ScopeAdminWrite}, SourceIP: "192.0.2.1"}
}

func apiReader() *gatehouse.Principal {
	return &gatehouse.Principal{ClientID: "reader", Environment: gatehouse.EnvAdmin, Scopes: []string{gatehouse.ScopeAdminRead}}
}

// audits returns the audit events about object.
func (f *fixture) audits(t *testing.T, object string) []*gatehouse.AuditEvent {
	t.Helper()
	list, err := f.store.AuditEvents(f.ctx, gatehouse.AuditFilter{Object: object})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}
