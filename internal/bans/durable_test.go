package bans

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// memStore is a Store in memory that can be made to fail.
type memStore struct {
	mu   sync.Mutex
	bans map[string]Ban
	down bool
}

var errDown = errors.New("the database is unavailable")

func (s *memStore) SaveBan(_ context.Context, b Ban) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errDown
	}
	if s.bans == nil {
		s.bans = map[string]Ban{}
	}
	s.bans[b.Subject] = b
	return nil
}

func (s *memStore) DeleteBan(_ context.Context, subject string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return false, errDown
	}
	_, ok := s.bans[subject]
	delete(s.bans, subject)
	return ok, nil
}

func (s *memStore) ActiveBans(_ context.Context, now time.Time) ([]Ban, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, errDown
	}
	var list []Ban
	for _, b := range s.bans {
		if b.Active(now) {
			list = append(list, b)
		}
	}
	return list, nil
}

func (s *memStore) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// proxiedRedis returns a Redis client reaching the test server through a
// proxy the test can take down.
func proxiedRedis(t *testing.T) (*redis.Client, *testenv.Proxy) {
	t.Helper()
	raw, proxy := testenv.ProxyURL(t, testenv.RedisURL(t))
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	opts.MaxRetries, opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = -1, 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c, proxy
}

func banOf(ip string, d time.Duration) Ban {
	now := time.Now()
	return Ban{Subject: SubjectOf(addr(ip)), Reason: ReasonBruteForce, CreatedAt: now, ExpiresAt: now.Add(d)}
}

func TestABanMadeWhileRedisIsDownHoldsOnceRedisIsBack(t *testing.T) {
	client, proxy := proxiedRedis(t)
	ctx := context.Background()
	l := NewRedis(RedisConfig{Client: client, Prefix: randomPrefix(), RetryInterval: 50 * time.Millisecond})
	proxy.Down()
	if err := l.Add(ctx, banOf("192.0.2.7", time.Hour)); err == nil {
		t.Fatal("Add reported success with Redis down")
	}
	proxy.Up()
	time.Sleep(100 * time.Millisecond) // past RetryInterval: the list asks Redis again
	b, err := l.Check(ctx, addr("192.0.2.7"))
	if err != nil || b == nil {
		t.Fatalf("once Redis answered again the ban made while it was down is forgotten: %v, %v", b, err)
	}
	other := NewRedis(RedisConfig{Client: testenv.Redis(t), Prefix: l.cfg.Prefix})
	if b, err := other.Check(ctx, addr("192.0.2.7")); err != nil || b == nil {
		t.Fatalf("the ban was not pushed to Redis for the other replicas: %v, %v", b, err)
	}
}

func TestDurableRefillsARedisThatLostItsData(t *testing.T) {
	ctx := context.Background()
	raw := testenv.Redis(t)
	prefix := randomPrefix()
	store := &memStore{}
	d := NewDurable(DurableConfig{Fast: NewRedis(RedisConfig{Client: raw, Prefix: prefix}), Store: store, SyncInterval: 20 * time.Millisecond})
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.Run(rctx) }()
	defer func() { cancel(); wg.Wait() }()
	if err := d.Add(ctx, banOf("192.0.2.8", time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the ban being recorded", func() bool { return d.Unsaved() == 0 })
	// Redis restarts without persistence: its keys are gone (only this
	// test's keys are deleted; the shared server is never flushed).
	if err := raw.Del(ctx, prefix+"192.0.2.8").Err(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the ban coming back into Redis", func() bool {
		b, _ := NewRedis(RedisConfig{Client: raw, Prefix: prefix}).Check(ctx, addr("192.0.2.8"))
		return b != nil
	})
}

func TestDurableBansSurviveARestartAndALift(t *testing.T) {
	ctx := context.Background()
	store := &memStore{}
	first := NewDurable(DurableConfig{Fast: NewMemory(nil), Store: store})
	first.Add(ctx, banOf("192.0.2.9", time.Hour))
	if err := first.savePending(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := NewDurable(DurableConfig{Fast: NewMemory(nil), Store: store})
	if err := restarted.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if b, _ := restarted.Check(ctx, addr("192.0.2.9")); b == nil {
		t.Fatal("a restarted server forgot the ban")
	}
	store.setDown(true)
	if _, err := restarted.Lift(ctx, "192.0.2.9"); err == nil {
		t.Fatal("a lift with the database down reported success")
	}
	if b, _ := restarted.Check(ctx, addr("192.0.2.9")); b == nil {
		t.Fatal("a failed lift lifted the ban in memory (it would come back at the next sync)")
	}
	store.setDown(false)
	if found, err := restarted.Lift(ctx, "192.0.2.9"); err != nil || !found {
		t.Fatalf("Lift: %v, %v", found, err)
	}
	again := NewDurable(DurableConfig{Fast: NewMemory(nil), Store: store})
	again.Load(ctx)
	if b, _ := again.Check(ctx, addr("192.0.2.9")); b != nil {
		t.Fatal("a lifted ban came back after a restart")
	}
}

func TestDurableEnforcesABanTheDatabaseCannotTakeAndRecordsItLater(t *testing.T) {
	ctx := context.Background()
	store := &memStore{down: true}
	d := NewDurable(DurableConfig{Fast: NewMemory(nil), Store: store})
	d.Add(ctx, banOf("192.0.2.10", time.Hour))
	if b, _ := d.Check(ctx, addr("192.0.2.10")); b == nil {
		t.Fatal("a ban is not enforced while the database is down")
	}
	if d.savePending(ctx) == nil || d.Unsaved() != 1 {
		t.Fatal("the unsaved ban was dropped")
	}
	store.setDown(false)
	if err := d.savePending(ctx); err != nil || d.Unsaved() != 0 {
		t.Fatalf("the ban was not recorded once the database was back: %v, %d unsaved", err, d.Unsaved())
	}
	if list, _ := store.ActiveBans(ctx, time.Now()); len(list) != 1 {
		t.Fatalf("recorded bans: %v", list)
	}
}

func TestDurableSuite(t *testing.T) {
	runSuite(t, func(t *testing.T, clock *fakeClock) List {
		return NewDurable(DurableConfig{Fast: NewMemory(clock.Now), Store: &memStore{}, Now: clock.Now})
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
	}
}
