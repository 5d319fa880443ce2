package cache_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// slowFeed is a store whose change-feed reads are slow and counted.
type slowFeed struct {
	gatehouse.Store
	reads atomic.Int64
}

func (s *slowFeed) Changes(ctx context.Context, after int64, limit int) ([]gatehouse.Change, error) {
	s.reads.Add(1)
	time.Sleep(50 * time.Millisecond)
	return s.Store.Changes(ctx, after, limit)
}

func TestConcurrentRefreshesShareSyncsAndSeeTheirChanges(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store := &slowFeed{Store: st}
	d := cache.New(cache.Config{Store: store, Now: func() time.Time { return now }})
	if err := d.Load(ctx); err != nil {
		t.Fatal(err)
	}
	store.reads.Store(0)

	// Each caller revokes a token, then asks for a refresh: when Refresh
	// returns, its own revocation must be visible, however many callers
	// share the sync.
	const callers = 20
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			jti := fmt.Sprintf("jti-%d", i)
			if err := st.RevokeToken(ctx, &gatehouse.RevokedToken{ID: jti, Environment: "sandbox", ClientID: "c",
				ExpiresAt: now.Add(time.Hour), RevokedAt: now}); err != nil {
				t.Error(err)
				return
			}
			if err := d.Refresh(ctx); err != nil {
				t.Error(err)
				return
			}
			if !d.Revoked(jti) {
				t.Errorf("%s is not revoked in the cache after its Refresh returned", jti)
			}
		})
	}
	wg.Wait()
	if n := store.reads.Load(); n >= callers {
		t.Fatalf("%d callers made %d reads of the change feed; concurrent refreshes must share syncs", callers, n)
	} else {
		t.Logf("%d concurrent refreshes, %d reads of the change feed", callers, n)
	}
}

func TestRefreshReturnsWhenItsCallerGivesUp(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	store := &slowFeed{Store: st}
	d := cache.New(cache.Config{Store: store})
	if err := d.Load(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := d.Refresh(cctx); err != context.Canceled {
		t.Fatalf("Refresh with a cancelled context: %v, want context.Canceled", err)
	}
	// The sync it started still runs to the end for whoever waits next.
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}
