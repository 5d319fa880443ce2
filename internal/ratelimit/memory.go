package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// shardCount is the number of independently locked parts of a Memory
// limiter, so that concurrent requests for different keys rarely wait on
// one another.
const shardCount = 64

// minSweep is the size below which a shard is never swept.
const minSweep = 1024

// Memory is an in-process GCRA limiter. It keeps, per key, the theoretical
// arrival time (TAT) of the next event; a key whose TAT has passed is in its
// initial state, so such entries are dropped by an occasional sweep and the
// map holds only keys that were active within their limit's burst window.
// Its zero value is not usable; create it with NewMemory.
type Memory struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [shardCount]memoryShard
}

type memoryShard struct {
	mu      sync.Mutex
	tat     map[Key]int64 // unix nanoseconds
	sweepAt int
	_       [40]byte // keep shards on separate cache lines
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns an empty in-memory limiter reading the time from now
// (time.Now if nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].tat = make(map[Key]int64)
		m.shards[i].sweepAt = minSweep
	}
	return m
}

// Allow counts one event under key if l admits it now. It never fails.
func (m *Memory) Allow(_ context.Context, key Key, l Limit) (Decision, error) {
	if l.Unlimited() {
		return Decision{Allowed: true, Remaining: l.burst()}, nil
	}
	interval := max(int64(l.interval()), 1)
	burstOffset := interval * int64(l.burst())
	now := m.now().UnixNano()
	s := &m.shards[maphash.String(m.seed, key.ID)%shardCount]

	s.mu.Lock()
	tat, ok := s.tat[key]
	if tat < now {
		tat = now
	}
	next := tat + interval
	allowAt := next - burstOffset
	if now < allowAt {
		s.mu.Unlock()
		return Decision{RetryAfter: time.Duration(allowAt - now)}, nil
	}
	if !ok && len(s.tat) >= s.sweepAt {
		s.sweep(now)
	}
	s.tat[key] = next
	s.mu.Unlock()
	return Decision{Allowed: true, Remaining: int((now - allowAt) / interval)}, nil
}

// AllowEach passes one event through checks in order (see Limiter). It
// never fails.
func (m *Memory) AllowEach(ctx context.Context, checks ...Check) (Decision, int, error) {
	least := -1
	for i, c := range checks {
		d, _ := m.Allow(ctx, c.Key, c.Limit)
		if !d.Allowed {
			return d, i, nil
		}
		least = minRemaining(least, d.Remaining)
	}
	return Decision{Allowed: true, Remaining: max(least, 0)}, -1, nil
}

// sweep drops keys back in their initial state. Called with s.mu held; the
// next sweep comes when the shard has doubled, so sweeping costs O(1) per
// insert on average.
func (s *memoryShard) sweep(now int64) {
	for k, tat := range s.tat {
		if tat <= now {
			delete(s.tat, k)
		}
	}
	s.sweepAt = max(minSweep, 2*len(s.tat))
}

// Len returns the number of keys held, for tests and metrics.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}
