package audit

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkClientUsed is the token path's cost of counting usage: one call
// per successful token request, from many goroutines.
func BenchmarkClientUsed(b *testing.B) {
	r := New(Config{Store: nil})
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = fmt.Sprintf("client-%02d", i)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r.ClientUsed(ids[i%len(ids)], "sandbox", 1, now)
			i++
		}
	})
}
