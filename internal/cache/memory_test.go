package cache_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// madeClients is a store whose clients are made on each read, as a
// database driver makes them: every string a fresh copy, scopes decoded
// anew, one secret with its times.
type madeClients struct{ gatehouse.Store }

func (madeClients) Client(_ context.Context, id string) (*gatehouse.Client, error) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &gatehouse.Client{
		ID: strings.Clone(id), Environment: strings.Clone("sandbox"), AccountID: 7, Name: strings.Clone("client " + id),
		Scopes: []string{strings.Clone("ledger:read"), strings.Clone("collection:write")},
		Status: strings.Clone(gatehouse.ClientActive), Version: 1, CreatedAt: now, UpdatedAt: now,
		Secrets: []gatehouse.Secret{{ID: 1, Hash: gatehouse.HashSecret("secret " + id), CreatedAt: now}},
	}, nil
}

// BenchmarkCachedClientHeap reports the heap a cached client costs: the
// live heap after GC with a cache of 100,000 clients filled, less the heap of the empty
// cache, per client. The clients have two scopes and one secret, the shape
// of most clients.
//
//	go test -run '^$' -bench BenchmarkCachedClientHeap ./internal/cache/
func BenchmarkCachedClientHeap(b *testing.B) {
	const n = 100_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("c%019d", i) // the length of a generated id
	}
	for range b.N {
		d := cache.New(cache.Config{Store: madeClients{}, ClientCacheSize: n})
		before := liveHeap()
		for _, id := range ids {
			if c, err := d.LookupClient(id); c == nil || err != nil {
				b.Fatalf("lookup %s: %v, %v", id, c, err)
			}
		}
		after := liveHeap()
		// The shards fill unevenly: a few clients were evicted.
		cached := d.CachedClients()
		if cached < n*9/10 {
			b.Fatalf("%d clients cached, want about %d", cached, n)
		}
		b.ReportMetric(float64(after-before)/float64(cached), "heap-B/client")
		runtime.KeepAlive(d)
	}
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
