package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// proxiedPostgres returns a store on a fresh migrated schema, reached
// through a proxy the test can stall, with short timeouts.
func proxiedPostgres(t *testing.T, timeouts Timeouts) (*Store, *testenv.Proxy) {
	t.Helper()
	direct := testenv.PostgresSchema(t)
	if err := openStore(t, direct).Migrate(context.Background()); err != nil { // default timeouts: the machine may be slow
		t.Fatalf("Migrate: %v", err)
	}
	dsn, proxy := testenv.ProxyURL(t, direct)
	s, err := OpenWithTimeouts(context.Background(), dsn, timeouts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, proxy
}

// within runs f and fails t if it has not returned after limit (a hang).
func within(t *testing.T, limit time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("%s still waiting after %s: it hangs", what, limit)
		return nil
	}
}

func TestFrozenPostgresFailsAsUnavailableInsteadOfHanging(t *testing.T) {
	s, proxy := proxiedPostgres(t, Timeouts{ConnectTimeout: time.Second, StatementTimeout: time.Second})
	ctx := context.Background() // no deadline, as a background job's
	env := &gatehouse.Environment{Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256, Tokens: gatehouse.DefaultTokenSettings()}
	if err := s.CreateEnvironment(ctx, env); err != nil {
		t.Fatal(err)
	}
	proxy.Stall()
	err := within(t, 20*time.Second, "a read from a frozen database", func() error {
		_, err := s.Environment(ctx, "sandbox")
		return err
	})
	if !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("read from a frozen database: %v; want gatehouse.ErrUnavailable", err)
	}
	err = within(t, 20*time.Second, "a write to a frozen database", func() error {
		return s.AddClientUsage(ctx, []gatehouse.ClientUsage{{ClientID: "c1", Environment: "sandbox", Tokens: 1, LastUsedAt: time.Now()}})
	})
	if !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("write to a frozen database: %v; want gatehouse.ErrUnavailable", err)
	}
	proxy.Up()
	var got *gatehouse.Environment
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got, err = s.Environment(ctx, "sandbox"); err == nil {
			break
		}
	}
	if err != nil || got.Name != "sandbox" {
		t.Fatalf("after the database thawed: %v, %v", got, err)
	}
}

func TestOpeningAFrozenPostgresFailsWithAClearError(t *testing.T) {
	dsn, proxy := testenv.ProxyURL(t, testenv.PostgresSchema(t))
	proxy.Stall() // accepts connections, never answers
	s, err := OpenWithTimeouts(context.Background(), dsn, Timeouts{ConnectTimeout: time.Second, StatementTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = within(t, 20*time.Second, "migrating a frozen database", func() error { return s.Migrate(context.Background()) })
	if !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("Migrate on a frozen database: %v; want gatehouse.ErrUnavailable", err)
	}
}

// TestConcurrentUsageBatchesInOppositeOrdersDoNotDeadlock: two replicas
// write usage of the same clients at once, each batch listing them in its
// own order. Rows locked in the order given deadlock (40P01); rows written
// in a fixed order do not.
func TestConcurrentUsageBatchesInOppositeOrdersDoNotDeadlock(t *testing.T) {
	pg := newPostgresServer(t)
	dsn := pg.newSchema(t)
	a, b := openStore(t, dsn), openStore(t, dsn)
	if err := a.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const clients = 50
	var forward, backward []gatehouse.ClientUsage
	for i := range clients {
		u := gatehouse.ClientUsage{ClientID: fmt.Sprintf("c%03d", i), Environment: "sandbox", Tokens: 1, LastUsedAt: time.Now()}
		forward = append(forward, u)
	}
	for i := clients - 1; i >= 0; i-- {
		backward = append(backward, forward[i])
	}
	if err := a.AddClientUsage(ctx, forward); err != nil { // the rows exist: later batches update them
		t.Fatal(err)
	}
	const rounds = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for _, w := range []struct {
		s     *Store
		batch []gatehouse.ClientUsage
	}{{a, forward}, {b, backward}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if err := w.s.AddClientUsage(ctx, w.batch); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("AddClientUsage: %v", err)
	}
	u, err := a.ClientUsage(ctx, "c000")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + 2*rounds); t.Failed() == false && u.Tokens != want {
		t.Errorf("c000 has %d tokens, want %d", u.Tokens, want)
	}
}
