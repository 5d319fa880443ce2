package cache_test

import (
	"fmt"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// BenchmarkCachedLookup looks up cached clients, as every token request of
// a client in memory does.
//
//	go test -run '^$' -bench BenchmarkCachedLookup -benchmem ./internal/cache/
func BenchmarkCachedLookup(b *testing.B) {
	const n = 1000
	ids := make([]string, n)
	d := cache.New(cache.Config{Store: madeClients{}, ClientCacheSize: 50_000})
	for i := range ids {
		ids[i] = fmt.Sprintf("c%019d", i)
		if c, err := d.LookupClient(ids[i]); c == nil || err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if c, _ := d.LookupClient(ids[i%n]); c == nil {
				b.Fatal("not found")
			}
			i++
		}
	})
}
