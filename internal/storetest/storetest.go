package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// newStoreFunc returns a fresh, empty store whose schema is up to date, and
// registers the store's cleanup with t.
type newStoreFunc = func(t *testing.T) gatehouse.Store

// Run runs the conformance suite against the stores newStore makes. Every
// subtest gets a fresh store.
func Run(t *testing.T, newStore func(t *testing.T) gatehouse.Store) {
	suites := []struct {
		name string
		run  func(t *testing.T, newStore newStoreFunc)
	}{
		{"Environments", testEnvironments},
		{"Accounts", testAccounts},
		{"Clients", testClients},
		{"ClientUpdates", testClientUpdates},
		{"ClientVersions", testClientVersions},
		{"Transactions", testTransactions},
		{"SigningKeys", testSigningKeys},
		{"KeyRotation", testKeyRotation},
		{"EmergencyKeys", testEmergencyKeys},
		{"Revocations", testRevocations},
		{"ReusableTokens", testReusableTokens},
		{"ClientKeys", testClientKeys},
		{"Audit", testAudit},
		{"Usage", testUsage},
		{"DailyUsage", testDailyUsage},
		{"AuditByAccount", testAuditByAccount},
		{"Users", testUsers},
		{"UserManagement", testUserManagement},
		{"Invitations", testInvitations},
		{"Sessions", testSessions},
		{"SecondFactors", testSecondFactors},
		{"SignInFailures", testSignInFailures},
		{"IdempotencyKeys", testIdempotencyKeys},
		{"ChangeFeed", testChangeFeed},
		{"Concurrency", testConcurrency},
		{"CredentialLifecycle", testCredentialLifecycle},
		{"Ping", testPing},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, newStore) })
	}
}

func testPing(t *testing.T, newStore newStoreFunc) {
	t.Run("a reachable store answers Ping", func(t *testing.T) {
		s := newStore(t)
		if err := s.Ping(context.Background()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// at returns the time the suite's fixtures are created at plus d. It has
// microseconds, which every store must keep.
func at(d time.Duration) time.Time {
	return time.Date(2026, 3, 1, 12, 30, 15, 123456000, time.UTC).Add(d)
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// newEnvironment returns a valid environment called name.
func newEnvironment(name string) *gatehouse.Environment {
	return &gatehouse.Environment{
		Name:             name,
		SigningAlgorithm: gatehouse.AlgES256,
		Tokens:           gatehouse.DefaultTokenSettings(),
		Limits:           gatehouse.DefaultRateLimits(),
		CreatedAt:        at(0),
		UpdatedAt:        at(0),
	}
}

// newClient returns a valid client of env and account with one secret.
func newClient(id, env string, account int64) *gatehouse.Client {
	return &gatehouse.Client{
		ID:          id,
		Environment: env,
		AccountID:   account,
		Name:        "client " + id,
		Scopes:      []string{"ledger:read"},
		Status:      gatehouse.ClientActive,
		Secrets:     []gatehouse.Secret{{Hash: gatehouse.HashSecret("secret of " + id), CreatedAt: at(0)}},
		CreatedAt:   at(0),
		UpdatedAt:   at(0),
	}
}

// fixture is a store with environments "sandbox" and "production" and one
// account.
type fixture struct {
	store   gatehouse.Store
	account *gatehouse.Account
}

func newFixture(t *testing.T, newStore newStoreFunc) *fixture {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	for _, name := range []string{gatehouse.EnvSandbox, gatehouse.EnvProduction} {
		if err := s.CreateEnvironment(ctx, newEnvironment(name)); err != nil {
			t.Fatalf("CreateEnvironment(%s): %v", name, err)
		}
	}
	a := &gatehouse.Account{Name: "Acme", CreatedAt: at(0)}
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return &fixture{store: s, account: a}
}

// wantCode fails t unless err is a *gatehouse.Error with code (and, for the
// storage sentinels, errors.Is holds).
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %s", what, code)
	}
	sentinel := map[string]error{
		gatehouse.ENOTFOUND:    gatehouse.ErrNotFound,
		gatehouse.ECONFLICT:    gatehouse.ErrConflict,
		gatehouse.EUNAVAILABLE: gatehouse.ErrUnavailable,
	}[code]
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("%s: got %v, want an error matching errors.Is(err, gatehouse.Err%s)", what, err, code)
	}
	if got := gatehouse.ErrorCode(err); got != code {
		t.Fatalf("%s: got code %s (%v), want %s", what, got, err, code)
	}
}

// must fails t if err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sameFields fails t for every exported field that differs between got and
// want, two values of the same struct type (or pointers to them).
func sameFields(t *testing.T, what string, got, want any) {
	t.Helper()
	for _, d := range diffFields(got, want) {
		t.Errorf("%s: %s", what, d)
	}
}

func diffFields(got, want any) []string {
	g, w := reflect.Indirect(reflect.ValueOf(got)), reflect.Indirect(reflect.ValueOf(want))
	if !g.IsValid() || !w.IsValid() || g.Kind() != reflect.Struct {
		if !reflect.DeepEqual(got, want) {
			return []string{fmt.Sprintf("got %s, want %s", show(g), show(w))}
		}
		return nil
	}
	var diffs []string
	for i := 0; i < g.NumField(); i++ {
		f := g.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		gv, wv := g.Field(i), w.Field(i)
		if reflect.DeepEqual(gv.Interface(), wv.Interface()) {
			continue
		}
		if gv.Kind() == reflect.Struct && gv.Type() != reflect.TypeFor[time.Time]() {
			for _, d := range diffFields(gv.Interface(), wv.Interface()) {
				diffs = append(diffs, f.Name+"."+d)
			}
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s is %s, want %s", f.Name, show(gv), show(wv)))
	}
	return diffs
}

// show formats v for a failure message, following pointers.
func show(v reflect.Value) string {
	if !v.IsValid() {
		return "<nil>"
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return "nil"
		}
		return "&" + show(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return "nil"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = show(v.Index(i))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	if t, ok := v.Interface().(time.Time); ok {
		return t.Format(time.RFC3339Nano) + " (" + t.Location().String() + ")"
	}
	return fmt.Sprintf("%+v", v.Interface())
}
