package cache_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// openStore returns a migrated SQLite store in the test's directory,
// closed when the test ends.
func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// countingStore counts the client reads that reach the store; gate, when
// set, is called before each read (to hold it), and fail makes reads fail.
type countingStore struct {
	gatehouse.Store
	reads   atomic.Int64
	gate    func()
	fail    atomic.Bool
	scanned func() // called after ClientIDs has scanned, before it returns
}

func (s *countingStore) Client(ctx context.Context, id string) (*gatehouse.Client, error) {
	s.reads.Add(1)
	if s.gate != nil {
		s.gate()
	}
	if s.fail.Load() {
		return nil, fmt.Errorf("load client %s: %w", id, gatehouse.ErrUnavailable)
	}
	return s.Store.Client(ctx, id)
}

func (s *countingStore) ClientIDs(ctx context.Context, fn func(string) error) error {
	err := s.Store.ClientIDs(ctx, fn)
	if s.scanned != nil {
		s.scanned()
	}
	return err
}

type clientFixture struct {
	store   *countingStore
	account *gatehouse.Account
	now     time.Time
}

func newClientFixture(t *testing.T) *clientFixture {
	t.Helper()
	ctx := context.Background()
	st := openStore(t)
	f := &clientFixture{store: &countingStore{Store: st}, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	if err := st.CreateEnvironment(ctx, &gatehouse.Environment{Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256,
		Tokens: gatehouse.DefaultTokenSettings(), Limits: gatehouse.DefaultRateLimits(), CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	f.account = &gatehouse.Account{Name: "a", CreatedAt: f.now}
	if err := st.CreateAccount(ctx, f.account); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *clientFixture) create(t *testing.T, id string) *gatehouse.Client {
	t.Helper()
	c := &gatehouse.Client{ID: id, Environment: "sandbox", AccountID: f.account.ID, Name: id, Status: gatehouse.ClientActive,
		Secrets: []gatehouse.Secret{{Hash: gatehouse.HashSecret("secret of " + id), CreatedAt: f.now}}, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.store.Store.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *clientFixture) directory(t *testing.T, size int) *cache.Directory {
	t.Helper()
	d := cache.New(cache.Config{Store: f.store, Now: func() time.Time { return f.now }, ClientCacheSize: size, AbsentCacheSize: 64})
	if err := d.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// lookup returns the client and the number of store reads it cost.
func lookup(t *testing.T, f *clientFixture, d *cache.Directory, id string) (*gatehouse.Client, int64) {
	t.Helper()
	before := f.store.reads.Load()
	c, err := d.LookupClient(id)
	if err != nil {
		t.Fatalf("LookupClient %s: %v", id, err)
	}
	return c, f.store.reads.Load() - before
}

func TestClientsAreReadOnFirstUseAndThenServedFromMemory(t *testing.T) {
	f := newClientFixture(t)
	f.create(t, "client-a")
	d := f.directory(t, 100)
	if d.CachedClients() != 0 || f.store.reads.Load() != 0 {
		t.Fatalf("Load read clients: %d cached, %d reads", d.CachedClients(), f.store.reads.Load())
	}
	c, reads := lookup(t, f, d, "client-a")
	if c == nil || c.ID != "client-a" || reads != 1 {
		t.Fatalf("first lookup: %v after %d reads, want the client after 1", c, reads)
	}
	for range 10 {
		if c, reads = lookup(t, f, d, "client-a"); c == nil || reads != 0 {
			t.Fatalf("a cached client cost %d store reads", reads)
		}
	}
}

func TestTheClientCacheIsBoundedAndKeepsClientsInUse(t *testing.T) {
	f := newClientFixture(t)
	for i := range 40 {
		f.create(t, fmt.Sprintf("c%02d", i))
	}
	d := f.directory(t, 8)
	hot := []string{"c00", "c01", "c02"}
	for i := range 40 {
		for _, id := range hot {
			lookup(t, f, d, id)
		}
		if c, _ := lookup(t, f, d, fmt.Sprintf("c%02d", i)); c == nil {
			t.Fatalf("c%02d not found", i)
		}
		if n := d.CachedClients(); n > 8 {
			t.Fatalf("%d clients cached, the limit is 8", n)
		}
	}
	for _, id := range hot {
		if _, reads := lookup(t, f, d, id); reads != 0 {
			t.Errorf("the hot client %s was evicted by clients used once", id)
		}
	}
	if _, reads := lookup(t, f, d, "c20"); reads != 1 {
		t.Errorf("a client used once long ago cost %d reads, want 1 (evicted)", reads)
	}
}

func TestConcurrentMissesForOneClientCostOneStoreRead(t *testing.T) {
	f := newClientFixture(t)
	f.create(t, "client-a")
	release := make(chan struct{})
	f.store.gate = func() { <-release }
	d := f.directory(t, 100)
	const callers = 50
	var wg sync.WaitGroup
	results := make(chan *gatehouse.Client, callers)
	for range callers {
		wg.Go(func() {
			c, err := d.LookupClient("client-a")
			if err != nil {
				t.Error(err)
			}
			results <- c
		})
	}
	// Wait until the one read is in the store, give the other callers time
	// to join it, then let it finish.
	for f.store.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(results)
	for c := range results {
		if c == nil || c.ID != "client-a" {
			t.Fatalf("a caller got %v", c)
		}
	}
	if n := f.store.reads.Load(); n != 1 {
		t.Errorf("%d concurrent lookups cost %d store reads, want 1", callers, n)
	}
}

func TestChangesFromTheFeedReachCachedAndAbsentClients(t *testing.T) {
	ctx := context.Background()
	f := newClientFixture(t)
	a := f.create(t, "client-a")
	d := f.directory(t, 100)
	lookup(t, f, d, "client-a")
	if c, _ := lookup(t, f, d, "late"); c != nil {
		t.Fatal("an unknown id was found")
	}
	if _, reads := lookup(t, f, d, "late"); reads != 0 {
		t.Fatalf("an id known to be absent cost %d reads", reads)
	}

	a.Scopes = []string{"ledger:read"}
	if err := f.store.UpdateClient(ctx, a); err != nil {
		t.Fatal(err)
	}
	f.create(t, "late")
	if c, _ := lookup(t, f, d, "client-a"); len(c.Scopes) != 0 {
		t.Fatal("the cache saw the change before it followed the feed")
	}
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	c, reads := lookup(t, f, d, "client-a")
	if !c.AllowsScope([]string{"ledger:read"}) || reads != 0 {
		t.Errorf("after the feed: scopes %q after %d reads, want the new scopes read by the refresh", c.Scopes, reads)
	}
	if c, _ := lookup(t, f, d, "late"); c == nil {
		t.Error("a client created after its id was found absent is still absent after the feed named it")
	}

	if _, err := f.store.RevokeClient(ctx, "client-a", f.now); err != nil {
		t.Fatal(err)
	}
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := lookup(t, f, d, "client-a"); c.Active() || !d.ClientRevoked("client-a") {
		t.Error("a revoked client is still active in the cache")
	}
}

func TestARevokedClientNotInMemoryIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newClientFixture(t)
	f.create(t, "client-a")
	d := f.directory(t, 100)
	if _, err := f.store.RevokeClient(ctx, "client-a", f.now); err != nil {
		t.Fatal(err)
	}
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if d.CachedClients() != 0 {
		t.Fatal("the refresh loaded a client nobody asked for")
	}
	if !d.ClientRevoked("client-a") {
		t.Error("the revocation of a client not in memory is not known")
	}
	c, reads := lookup(t, f, d, "client-a")
	if c == nil || c.Active() || reads != 1 {
		t.Errorf("a revoked client read on demand: %+v after %d reads, want it inactive after 1", c, reads)
	}
}

func TestTheIDFilterSparesTheStoreUnknownIDs(t *testing.T) {
	ctx := context.Background()
	f := newClientFixture(t)
	for i := range 20 {
		f.create(t, fmt.Sprintf("real%02d", i))
	}
	d := f.directory(t, 100)
	// A client created while the scan runs is named by the feed meanwhile.
	f.store.scanned = func() {
		f.create(t, "during-scan")
		if err := d.Refresh(ctx); err != nil {
			t.Error(err)
		}
	}
	if err := d.BuildFilter(ctx); err != nil {
		t.Fatal(err)
	}
	f.store.scanned = nil
	if !d.FilterReady() {
		t.Fatal("no filter after BuildFilter")
	}
	for i := range 20 {
		lookup(t, f, d, fmt.Sprintf("real%02d", i))
	}
	cached := d.CachedClients()
	before := f.store.reads.Load()
	const unknown = 100_000
	for i := range unknown {
		if c, err := d.LookupClient(fmt.Sprintf("guess-%d", i)); c != nil || err != nil {
			t.Fatalf("guess-%d: %v, %v", i, c, err)
		}
	}
	// The filter is sized for 65,536 ids and holds 21: false positives are
	// about one in a hundred million, so any read here is a fault.
	if reads := f.store.reads.Load() - before; reads != 0 {
		t.Errorf("%d unknown ids cost %d store reads", unknown, reads)
	}
	if d.CachedClients() != cached {
		t.Errorf("unknown ids changed the cache: %d clients, had %d", d.CachedClients(), cached)
	}
	for i := range 20 {
		if _, reads := lookup(t, f, d, fmt.Sprintf("real%02d", i)); reads != 0 {
			t.Errorf("real%02d was evicted by the flood", i)
		}
	}
	if c, _ := lookup(t, f, d, "during-scan"); c == nil {
		t.Error("a client created during the scan is missing from the filter")
	}
	f.create(t, "after-scan")
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := lookup(t, f, d, "after-scan"); c == nil {
		t.Error("a client created after the scan is missing from the filter")
	}
}

func TestAStoreFailureIsAnErrorAndNotRememberedAsAbsent(t *testing.T) {
	f := newClientFixture(t)
	f.create(t, "client-a")
	d := f.directory(t, 100)
	f.store.fail.Store(true)
	if c, err := d.LookupClient("client-a"); c != nil || !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("with the store down: %v, %v; want an unavailable error", c, err)
	}
	f.store.fail.Store(false)
	if c, reads := lookup(t, f, d, "client-a"); c == nil || reads != 1 {
		t.Errorf("after the store came back: %v after %d reads", c, reads)
	}
}
