package audit

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// flakyStore fails event and usage writes while down is set.
type flakyStore struct {
	*countingStore
	down        atomic.Bool
	eventFails  atomic.Int64
	usageFailed atomic.Int64
}

func (s *flakyStore) AppendAuditBatch(ctx context.Context, events []*gatehouse.AuditEvent) error {
	if s.down.Load() {
		s.eventFails.Add(1)
		return errors.New("the database is unavailable")
	}
	return s.countingStore.AppendAuditBatch(ctx, events)
}

func (s *flakyStore) AddClientUsage(ctx context.Context, usage []gatehouse.ClientUsage) error {
	if s.down.Load() {
		s.usageFailed.Add(1)
		return errors.New("the database is unavailable")
	}
	return s.countingStore.AddClientUsage(ctx, usage)
}

// drops records OnWriteDrop calls.
type drops struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *drops) add(kind string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[kind] += n
}

func (d *drops) get(kind string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[kind]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
	}
}

func auditCount(t *testing.T, s *flakyStore) int {
	t.Helper()
	got, err := s.AuditEvents(context.Background(), gatehouse.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}

func TestRecorderRetriesFailedEventWritesUntilTheStoreIsBack(t *testing.T) {
	s := &flakyStore{countingStore: newStore(t)}
	var d drops
	r := New(Config{Store: s, FlushInterval: 5 * time.Millisecond, RetryBackoff: 5 * time.Millisecond,
		MaxRetryBackoff: 10 * time.Millisecond, WriteAttempts: 1000, OnWriteDrop: d.add})
	stop := start(r)
	defer stop()
	s.down.Store(true)
	for i := range 10 {
		r.Record(event(i))
	}
	waitFor(t, "three failed writes", func() bool { return s.eventFails.Load() >= 3 })
	s.down.Store(false)
	waitFor(t, "the events being written once the store is back", func() bool { return auditCount(t, s) == 10 })
	if d.get("events") != 0 {
		t.Fatalf("%d events counted as dropped", d.get("events"))
	}
}

func TestRecorderDropsEventsAfterItsAttemptsAndCountsThem(t *testing.T) {
	s := &flakyStore{countingStore: newStore(t)}
	logs := &testenv.Logs{}
	var d drops
	r := New(Config{Store: s, FlushInterval: 5 * time.Millisecond, RetryBackoff: time.Millisecond,
		MaxRetryBackoff: 2 * time.Millisecond, WriteAttempts: 3, OnWriteDrop: d.add,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	stop := start(r)
	defer stop()
	s.down.Store(true)
	for i := range 7 {
		r.Record(event(i))
	}
	waitFor(t, "the batch being dropped", func() bool { return d.get("events") == 7 })
	if n := s.eventFails.Load(); n != 3 {
		t.Errorf("%d write attempts, want 3", n)
	}
	if !strings.Contains(logs.String(), "audit events dropped after repeated write failures") {
		t.Errorf("no log line says events were dropped:\n%s", logs)
	}
	s.down.Store(false)
	r.Record(event(8))
	waitFor(t, "a later event being written", func() bool { return auditCount(t, s) == 1 })
}

func TestRecorderFlushesOnStopRetryingWhileTheStoreRecovers(t *testing.T) {
	s := &flakyStore{countingStore: newStore(t)}
	var d drops
	r := New(Config{Store: s, FlushInterval: time.Hour, UsageInterval: time.Hour, RetryBackoff: 5 * time.Millisecond,
		MaxRetryBackoff: 10 * time.Millisecond, FinalFlushTimeout: 10 * time.Second, OnWriteDrop: d.add})
	stop := start(r)
	r.Record(event(1))
	r.ClientUsed("c1", "sandbox", 1, time.Now())
	r.ClientUsed("c1", "sandbox", 1, time.Now())
	s.down.Store(true)
	go func() { // the store comes back after two failed attempts
		for s.eventFails.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
		s.down.Store(false)
	}()
	stop()
	if auditCount(t, s) != 1 {
		t.Fatalf("the event was not written on stop")
	}
	u, err := s.ClientUsage(context.Background(), "c1")
	if err != nil || u.Tokens != 2 {
		t.Fatalf("usage after stop: %+v, %v; want 2 tokens", u, err)
	}
	if d.get("events")+d.get("usage") != 0 {
		t.Fatalf("something was counted as dropped: %v", d.n)
	}
}

func TestRecorderCountsWhatItCannotWriteBeforeTheShutdownDeadline(t *testing.T) {
	s := &flakyStore{countingStore: newStore(t)}
	var d drops
	r := New(Config{Store: s, FlushInterval: time.Hour, UsageInterval: time.Hour, RetryBackoff: 10 * time.Millisecond,
		FinalFlushTimeout: 100 * time.Millisecond, OnWriteDrop: d.add})
	stop := start(r)
	s.down.Store(true)
	r.Record(event(1))
	r.Record(event(2))
	for range 5 {
		r.ClientUsed("c1", "sandbox", 1, time.Now())
	}
	stop()
	if d.get("events") != 2 || d.get("usage") != 5 {
		t.Fatalf("dropped %v; want 2 events and 5 usage", d.n)
	}
	if s.eventFails.Load() < 2 || s.usageFailed.Load() < 1 {
		t.Fatalf("stop gave up without retrying: %d event and %d usage attempts", s.eventFails.Load(), s.usageFailed.Load())
	}
}
