package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backend is a limiter under test and the way to let time pass for it: a
// fake clock for Memory, real (short) waits for Redis, whose GCRA runs on
// Redis's own clock.
type backend struct {
	limiter Limiter
	wait    func(d time.Duration)
	now     func() time.Time // the clock wait advances
}

// runSuite is the conformance suite every Limiter passes. Its limits are
// fast (tens of events a second) so that a backend on a real clock runs it
// in about a second.
func runSuite(t *testing.T, newBackend func(t *testing.T) backend) {
	ctx := context.Background()
	key := Key{Kind: "client", Environment: "sandbox", ID: "c1"}
	fast := Limit{Rate: 10, Burst: 3, Period: time.Second} // one event per 100 ms, three at once

	allow := func(t *testing.T, l Limiter, k Key, lim Limit) Decision {
		t.Helper()
		d, err := l.Allow(ctx, k, lim)
		if err != nil {
			t.Fatalf("Allow(%s): %v", k, err)
		}
		return d
	}

	t.Run("a burst is admitted at once and the next event is refused with a retry delay", func(t *testing.T) {
		b := newBackend(t)
		for i := range fast.Burst {
			d := allow(t, b.limiter, key, fast)
			if !d.Allowed {
				t.Fatalf("event %d of the burst was refused", i+1)
			}
			// Redis computes Remaining in floating point and may round down.
			if want := fast.Burst - 1 - i; d.Remaining != want && d.Remaining != want-1 {
				t.Errorf("event %d: Remaining %d, want %d", i+1, d.Remaining, want)
			}
		}
		d := allow(t, b.limiter, key, fast)
		if d.Allowed {
			t.Fatal("the event after the burst was admitted")
		}
		if d.RetryAfter <= 0 || d.RetryAfter > 100*time.Millisecond {
			t.Errorf("RetryAfter %v, want in (0, 100ms]", d.RetryAfter)
		}
	})

	t.Run("after the retry delay exactly one more event is admitted", func(t *testing.T) {
		b := newBackend(t)
		for range fast.Burst {
			allow(t, b.limiter, key, fast)
		}
		refused := allow(t, b.limiter, key, fast)
		start := b.now()
		b.wait(refused.RetryAfter + 5*time.Millisecond)
		if !allow(t, b.limiter, key, fast).Allowed {
			t.Fatal("an event after RetryAfter was refused")
		}
		second := allow(t, b.limiter, key, fast).Allowed
		// A loaded machine may sleep past a second interval (100 ms); only
		// then may a second event be admitted.
		if elapsed := b.now().Sub(start); second && elapsed < refused.RetryAfter+100*time.Millisecond {
			t.Fatalf("two events were admitted %v after the refusal, within one interval", elapsed)
		}
	})

	t.Run("refused events use up no capacity", func(t *testing.T) {
		b := newBackend(t)
		for range fast.Burst + 20 {
			allow(t, b.limiter, key, fast)
		}
		b.wait(105 * time.Millisecond)
		if !allow(t, b.limiter, key, fast).Allowed {
			t.Fatal("refused events kept the key blocked beyond one interval")
		}
	})

	t.Run("the sustained rate is the limit's rate", func(t *testing.T) {
		b := newBackend(t)
		one := Limit{Rate: 20, Burst: 1, Period: time.Second} // one per 50 ms
		admitted := 0
		first, last := b.now(), time.Time{}
		for i := range 8 {
			if i > 0 {
				b.wait(52 * time.Millisecond)
			}
			for range 3 {
				if allow(t, b.limiter, key, one).Allowed {
					admitted++
				}
			}
			last = b.now()
		}
		// Each round starts more than one interval after the last, so each
		// admits one event; a loaded machine that sleeps longer than asked
		// may let one more interval pass, never more than the time allows.
		most := 1 + int(last.Sub(first)/(50*time.Millisecond))
		if admitted < 8 || admitted > most {
			t.Fatalf("admitted %d events in 8 rounds over %v, want between 8 and %d", admitted, last.Sub(first), most)
		}
	})

	t.Run("keys that differ in kind, environment or id are limited apart", func(t *testing.T) {
		b := newBackend(t)
		one := Limit{Rate: 1, Burst: 1, Period: time.Hour}
		keys := []Key{
			key,
			{Kind: "ip", Environment: key.Environment, ID: key.ID},
			{Kind: key.Kind, Environment: "production", ID: key.ID},
			{Kind: key.Kind, Environment: key.Environment, ID: "c2"},
			{Kind: key.Kind, Environment: "", ID: key.ID},
		}
		for _, k := range keys {
			if !allow(t, b.limiter, k, one).Allowed {
				t.Errorf("the first event of %s was refused", k)
			}
		}
		for _, k := range keys {
			if allow(t, b.limiter, k, one).Allowed {
				t.Errorf("the second event of %s was admitted", k)
			}
		}
	})

	t.Run("an unlimited limit admits everything", func(t *testing.T) {
		b := newBackend(t)
		for i := range 50 {
			if !allow(t, b.limiter, key, Limit{Rate: 0, Burst: 1, Period: time.Minute}).Allowed {
				t.Fatalf("event %d was refused under no limit", i)
			}
		}
	})

	t.Run("a raised burst takes effect at once", func(t *testing.T) {
		b := newBackend(t)
		slow := Limit{Rate: 1, Burst: 2, Period: time.Hour}
		for range 3 {
			allow(t, b.limiter, key, slow)
		}
		slow.Burst = 5
		for i := range 3 {
			if !allow(t, b.limiter, key, slow).Allowed {
				t.Fatalf("event %d under the raised burst was refused", i+1)
			}
		}
		if allow(t, b.limiter, key, slow).Allowed {
			t.Fatal("the raised burst admitted more than its size")
		}
	})

	t.Run("an event passes checks in order: those before a refusal count it, the refusing one and those after do not", func(t *testing.T) {
		b := newBackend(t)
		hour := func(burst int) Limit { return Limit{Rate: 1, Burst: burst, Period: time.Hour} }
		ip := Check{Key: Key{Kind: "ip", Environment: "sandbox", ID: "192.0.2.1"}, Limit: hour(2)}
		client := Check{Key: key, Limit: hour(1)}
		usage := Check{Key: Key{Kind: "usage", Environment: "sandbox", ID: "c1"}, Limit: hour(5)}
		d, refused, err := b.limiter.AllowEach(ctx, ip, client, usage)
		if err != nil || !d.Allowed || refused != -1 {
			t.Fatalf("first event: %+v, refused by %d, %v; want admitted by all", d, refused, err)
		}
		if d.Remaining != 0 {
			t.Errorf("first event: Remaining %d, want 0 (the client limit's)", d.Remaining)
		}
		d, refused, err = b.limiter.AllowEach(ctx, ip, client, usage)
		if err != nil || d.Allowed || refused != 1 {
			t.Fatalf("second event: %+v, refused by %d, %v; want refused by the client limit (1)", d, refused, err)
		}
		if d.RetryAfter <= 0 || d.RetryAfter > time.Hour {
			t.Errorf("second event: RetryAfter %v, want in (0, 1h]", d.RetryAfter)
		}
		if allow(t, b.limiter, ip.Key, ip.Limit).Allowed {
			t.Error("the IP limit did not count the event the client limit refused")
		}
		for i := range 4 {
			if !allow(t, b.limiter, usage.Key, usage.Limit).Allowed {
				t.Fatalf("the check after the refusal counted the refused event: its event %d of 5 was refused", i+2)
			}
		}
		if allow(t, b.limiter, usage.Key, usage.Limit).Allowed {
			t.Error("the last check admitted more than its burst")
		}
	})

	t.Run("an unlimited check admits and counts nothing, and refusals name the check by its place", func(t *testing.T) {
		b := newBackend(t)
		off := Check{Key: Key{Kind: "ip", Environment: "sandbox", ID: "192.0.2.1"}, Limit: Limit{Rate: 0, Burst: 1, Period: time.Minute}}
		one := Check{Key: key, Limit: Limit{Rate: 1, Burst: 1, Period: time.Hour}}
		for i, want := range []int{-1, 1} {
			d, refused, err := b.limiter.AllowEach(ctx, off, one)
			if err != nil || refused != want || d.Allowed != (want == -1) {
				t.Fatalf("event %d: %+v, refused by %d, %v; want refused by %d", i+1, d, refused, err, want)
			}
		}
		if d, refused, err := b.limiter.AllowEach(ctx, off); err != nil || !d.Allowed || refused != -1 {
			t.Fatalf("an unlimited check alone: %+v, %d, %v", d, refused, err)
		}
	})

	t.Run("concurrent events through two checks are admitted exactly the tighter burst", func(t *testing.T) {
		b := newBackend(t)
		ip := Check{Key: Key{Kind: "ip", Environment: "sandbox", ID: "192.0.2.1"}, Limit: Limit{Rate: 1, Burst: 1000, Period: time.Hour}}
		client := Check{Key: key, Limit: Limit{Rate: 1, Burst: 25, Period: time.Hour}}
		var admitted, ipCounted atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					d, refused, err := b.limiter.AllowEach(ctx, ip, client)
					if err != nil {
						t.Errorf("AllowEach: %v", err)
						return
					}
					if d.Allowed {
						admitted.Add(1)
					}
					if refused != 0 {
						ipCounted.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if n := admitted.Load(); n != int64(client.Limit.Burst) {
			t.Fatalf("admitted %d of 80 concurrent events, want the client burst of %d", n, client.Limit.Burst)
		}
		// The IP limit counted all 80: 920 of its 1000 are left.
		for i := range 920 {
			if !allow(t, b.limiter, ip.Key, ip.Limit).Allowed {
				t.Fatalf("the IP limit refused its event %d after 80 counted, want 920 more admitted", i+81)
			}
		}
		if allow(t, b.limiter, ip.Key, ip.Limit).Allowed || ipCounted.Load() != 80 {
			t.Fatal("the IP limit did not count each of the 80 events once")
		}
	})

	t.Run("concurrent callers are admitted exactly the burst", func(t *testing.T) {
		b := newBackend(t)
		slow := Limit{Rate: 1, Burst: 25, Period: time.Hour}
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					d, err := b.limiter.Allow(ctx, key, slow)
					if err != nil {
						t.Errorf("Allow: %v", err)
						return
					}
					if d.Allowed {
						admitted.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if n := admitted.Load(); n != int64(slow.Burst) {
			t.Fatalf("admitted %d of 80 concurrent events, want the burst of %d", n, slow.Burst)
		}
	})
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestMemory(t *testing.T) {
	runSuite(t, func(t *testing.T) backend {
		clock := newFakeClock()
		return backend{limiter: NewMemory(clock.Now), wait: clock.Advance, now: clock.Now}
	})
}

func TestMemorySweepsIdleKeys(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(clock.Now)
	ctx := context.Background()
	l := Limit{Rate: 60, Burst: 1, Period: time.Minute} // a key is idle one second after its event
	const rounds, perRound = 100, 2000
	for r := range rounds {
		for i := range perRound {
			if _, err := m.Allow(ctx, Key{Kind: "ip", ID: fmt.Sprint(r, ".", i)}, l); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(2 * time.Second) // every key so far is idle now
	}
	// A shard is swept whenever it doubles past minSweep, so idle keys
	// never pile up beyond that per shard.
	if n, bound := m.Len(), shardCount*minSweep+perRound; n > bound {
		t.Fatalf("the limiter holds %d of %d keys after they went idle, want at most %d", n, rounds*perRound, bound)
	}
}

func TestMemoryAllowDoesNotAllocate(t *testing.T) {
	m := NewMemory(nil)
	ctx := context.Background()
	key := Key{Kind: "client", Environment: "sandbox", ID: "c1"}
	l := PerMinute(1_000_000_000, 1_000_000)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := m.Allow(ctx, key, l); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("Allow allocates %.1f times per call, want 0", allocs)
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := NewMemory(nil)
	ctx := context.Background()
	l := PerMinute(1_000_000_000, 1_000_000)
	b.RunParallel(func(pb *testing.PB) {
		key := Key{Kind: "client", Environment: "sandbox", ID: fmt.Sprintf("client-%p", pb)}
		for pb.Next() {
			if _, err := m.Allow(ctx, key, l); err != nil {
				b.Fatal(err)
			}
		}
	})
}
