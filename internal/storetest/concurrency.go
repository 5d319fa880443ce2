package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testConcurrency(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("clients created at once all succeed and a follower of the feed misses none", func(t *testing.T) {
		f := newFixture(t, newStore)
		start, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)

		// A follower reads the feed the way the cache does, "everything
		// after the last id I saw", while the writers run. If a change could
		// become visible after a change with a larger id, it would miss it.
		done := make(chan struct{})
		var seen []int64
		var followErr error
		var follower sync.WaitGroup
		follower.Go(func() {
			last := start
			for final := false; ; {
				select {
				case <-done:
					final = true
				default:
				}
				list, err := f.store.Changes(ctx, last, 1000)
				if err != nil {
					followErr = err
					return
				}
				for _, c := range list {
					seen = append(seen, c.ID)
					last = c.ID
				}
				if final {
					return
				}
				time.Sleep(time.Millisecond)
			}
		})

		const n = 12
		errs := make([]error, n)
		var writers sync.WaitGroup
		for i := range n {
			writers.Go(func() {
				c := newClient(fmt.Sprintf("client-%02d", i), gatehouse.EnvSandbox, f.account.ID)
				if errs[i] = f.store.CreateClient(ctx, c); errs[i] != nil {
					return
				}
				c.Name = "renamed"
				if errs[i] = f.store.UpdateClient(ctx, c); errs[i] != nil {
					return
				}
				errs[i] = f.store.RevokeToken(ctx, newRevocation(c.ID, at(time.Hour)))
			})
		}
		writers.Wait()
		close(done)
		follower.Wait()
		for i, err := range errs {
			must(t, fmt.Sprintf("writer %d", i), err)
		}
		must(t, "following the feed", followErr)

		all := changesAfter(t, f.store, start)
		var ids []int64
		perClient := map[string]int{}
		for _, c := range all {
			ids = append(ids, c.ID)
			if c.Kind == gatehouse.ChangeClient {
				perClient[c.Key]++
			}
		}
		if len(all) != 3*n || len(perClient) != n {
			t.Errorf("got %d changes for %d clients, want %d for %d", len(all), len(perClient), 3*n, n)
		}
		for id, count := range perClient {
			if count != 2 {
				t.Errorf("client %s has %d changes, want 2", id, count)
			}
		}
		sameFields(t, "change ids the follower saw", seen, ids)
		list, err := f.store.Clients(ctx, gatehouse.ClientFilter{Limit: 1000})
		must(t, "Clients", err)
		if len(list) != n {
			t.Errorf("got %d clients, want %d", len(list), n)
		}
	})

	t.Run("of replicas swapping a key's state at once exactly one wins", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "CreateSigningKey", f.store.CreateSigningKey(ctx, newKey(gatehouse.EnvSandbox, "k1", gatehouse.KeyActive, at(0))))
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = f.store.UpdateSigningKeyState(ctx, gatehouse.EnvSandbox, "k1",
					gatehouse.KeyActive, gatehouse.KeyRetired, at(time.Duration(i)*time.Hour))
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			if err == nil {
				won++
				continue
			}
			wantCode(t, fmt.Sprintf("swap %d", i), err, gatehouse.ECONFLICT)
		}
		if won != 1 {
			t.Errorf("%d swaps succeeded, want exactly 1", won)
		}
	})
}
