package audit

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
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// countingStore is a real SQLite store that counts the recorder's writes
// and can be told to fail them.
type countingStore struct {
	*sqlstore.Store
	eventWrites, usageWrites atomic.Int64
	failUsage                atomic.Bool
}

func (s *countingStore) AppendAuditBatch(ctx context.Context, events []*gatehouse.AuditEvent) error {
	s.eventWrites.Add(1)
	return s.Store.AppendAuditBatch(ctx, events)
}

func (s *countingStore) AddClientUsage(ctx context.Context, usage []gatehouse.ClientUsage) error {
	if s.failUsage.Load() {
		return errors.New("store is down")
	}
	s.usageWrites.Add(1)
	return s.Store.AddClientUsage(ctx, usage)
}

func newStore(t *testing.T) *countingStore {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return &countingStore{Store: s}
}

// start runs r until the returned stop is called; stop waits for the final
// writes.
func start(r *Recorder) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	return func() { cancel(); wg.Wait() }
}

func event(i int) *gatehouse.AuditEvent {
	return &gatehouse.AuditEvent{Actor: "anonymous", SourceIP: "192.0.2.1", Action: gatehouse.ActionAuthFailure,
		Object: fmt.Sprintf("client:c%d", i), Outcome: gatehouse.OutcomeFailure}
}

func TestRecorderWritesEventsInBatches(t *testing.T) {
	s := newStore(t)
	r := New(Config{Store: s, BatchSize: 100, QueueSize: 2000, FlushInterval: time.Hour})
	stop := start(r)
	const n = 1000
	for i := range n {
		r.Record(event(i))
	}
	stop()
	got, err := s.AuditEvents(context.Background(), gatehouse.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || r.Dropped() != 0 {
		t.Fatalf("stored %d events and dropped %d, want all %d stored", len(got), r.Dropped(), n)
	}
	if w := s.eventWrites.Load(); w > n/100+1 {
		t.Fatalf("%d events took %d writes, want at most %d (batches of 100)", n, w, n/100+1)
	}
	if got[0].Time.IsZero() || got[0].Object != "client:c0" || got[n-1].Object != fmt.Sprintf("client:c%d", n-1) {
		t.Errorf("events were not stored in order with their time: first %+v", got[0])
	}
}

func TestRecorderFlushesPartialBatchesOnTime(t *testing.T) {
	s := newStore(t)
	r := New(Config{Store: s, BatchSize: 100, FlushInterval: 10 * time.Millisecond})
	stop := start(r)
	defer stop()
	r.Record(event(1))
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := s.AuditEvents(context.Background(), gatehouse.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a lone event was not written within the flush interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRecorderDropsRatherThanBlocks(t *testing.T) {
	s := newStore(t)
	var dropped atomic.Int64
	r := New(Config{Store: s, QueueSize: 10, OnDrop: func() { dropped.Add(1) }})
	// Not running: nothing drains the queue.
	done := make(chan struct{})
	go func() {
		for i := range 100 {
			r.Record(event(i))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked on a full queue")
	}
	if r.Dropped() != 90 || dropped.Load() != 90 {
		t.Fatalf("Dropped %d, OnDrop called %d times; want 90", r.Dropped(), dropped.Load())
	}
	stop := start(r)
	stop()
	got, _ := s.AuditEvents(context.Background(), gatehouse.AuditFilter{})
	if len(got) != 10 {
		t.Fatalf("stored %d queued events, want 10", len(got))
	}
}

func TestRecorderCountsUsageInOneWrite(t *testing.T) {
	s := newStore(t)
	r := New(Config{Store: s, UsageInterval: time.Hour})
	stop := start(r)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				r.ClientUsed(fmt.Sprint("c", i%2), "sandbox", 1, base.Add(time.Duration(w*250+i)*time.Millisecond))
			}
		}()
	}
	wg.Wait()
	stop()
	for _, id := range []string{"c0", "c1"} {
		u, err := s.ClientUsage(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Tokens != 500 || u.Environment != "sandbox" || u.LastUsedAt.Before(base.Add(998*time.Millisecond)) {
			t.Errorf("usage of %s: %+v, want 500 tokens last used at about %v", id, u, base.Add(999*time.Millisecond))
		}
	}
	if w := s.usageWrites.Load(); w != 1 {
		t.Fatalf("1000 token requests took %d usage writes, want 1", w)
	}
}

func TestRecorderKeepsUsageWhenTheStoreFails(t *testing.T) {
	s := newStore(t)
	r := New(Config{Store: s, UsageInterval: time.Hour})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r.ClientUsed("c1", "sandbox", 1, now)
	s.failUsage.Store(true)
	r.writeUsage()
	r.ClientUsed("c1", "sandbox", 1, now.Add(time.Second))
	s.failUsage.Store(false)
	r.writeUsage()
	u, err := s.ClientUsage(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Tokens != 2 || !u.LastUsedAt.Equal(now.Add(time.Second)) {
		t.Fatalf("usage after a failed write: %+v, want 2 tokens", u)
	}
}

func TestRecorderPrunesPastRetention(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, age := range []time.Duration{100 * 24 * time.Hour, 89 * 24 * time.Hour, time.Hour} {
		e := event(0)
		e.Time = now.Add(-age)
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	r := New(Config{Store: s, Retention: 90 * 24 * time.Hour, Now: func() time.Time { return now }})
	stop := start(r)
	stop()
	got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d events left, want the 2 younger than 90 days", len(got))
	}
}

func TestRecorderPrunesDailyUsagePastRetention(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var batch []gatehouse.ClientUsage
	for _, age := range []time.Duration{100 * 24 * time.Hour, 91 * 24 * time.Hour, 89 * 24 * time.Hour, time.Hour} {
		batch = append(batch, gatehouse.ClientUsage{ClientID: "c1", Environment: gatehouse.EnvSandbox, AccountID: 7, Tokens: 1, LastUsedAt: now.Add(-age)})
	}
	if err := s.AddClientUsage(ctx, batch); err != nil {
		t.Fatal(err)
	}
	r := New(Config{Store: s, Retention: 90 * 24 * time.Hour, Now: func() time.Time { return now }})
	stop := start(r)
	stop()
	got, err := s.DailyUsage(ctx, gatehouse.UsageFilter{AccountID: 7, Environment: gatehouse.EnvSandbox, Since: now.Add(-365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Day.Equal(gatehouse.UsageDay(now.Add(-89*24*time.Hour))) {
		t.Fatalf("days left %v, want the 2 younger than 90 days", got)
	}
}

func TestRecorderCreditsEachDayWithItsOwnTokens(t *testing.T) {
	s := newStore(t)
	r := New(Config{Store: s, UsageInterval: time.Hour})
	midnight := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for range 3 {
		r.ClientUsed("c1", "sandbox", 7, midnight.Add(-time.Second))
	}
	for range 2 {
		r.ClientUsed("c1", "sandbox", 7, midnight.Add(time.Second))
	}
	r.writeUsage()
	if w := s.usageWrites.Load(); w != 1 {
		t.Fatalf("one flush took %d usage writes, want 1", w)
	}
	days, err := s.DailyUsage(context.Background(), gatehouse.UsageFilter{AccountID: 7, Environment: "sandbox", Since: midnight.Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []gatehouse.DailyUsage{
		{ClientID: "c1", Day: midnight.Add(-24 * time.Hour), Tokens: 3},
		{ClientID: "c1", Day: midnight, Tokens: 2},
	}
	if fmt.Sprint(days) != fmt.Sprint(want) {
		t.Fatalf("daily usage %v, want %v", days, want)
	}
	u, err := s.ClientUsage(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Tokens != 5 || !u.LastUsedAt.Equal(midnight.Add(time.Second)) {
		t.Fatalf("total usage %+v, want 5 tokens last used a second after midnight", u)
	}
}
