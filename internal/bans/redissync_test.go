package bans

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// commandCounter counts the commands a Redis client sends.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}

// running starts l.Run until the test ends and waits until its copy is
// current.
func running(t *testing.T, l *Redis) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the ban list's copy to be current", l.Mirrored)
}

// waitFor polls cond for up to 5 seconds and returns how long it took.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("waited 5s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

func TestRedisReplicasCheckBansWithoutARoundTrip(t *testing.T) {
	ctx := context.Background()
	prefix := randomPrefix()
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, opts.Addr)
	opts.Addr, opts.DialTimeout, opts.ReadTimeout, opts.MaxRetries = proxy.Addr(), 200*time.Millisecond, 300*time.Millisecond, -1
	bClient := redis.NewClient(opts)
	t.Cleanup(func() { bClient.Close() })
	counter := &commandCounter{}
	bClient.AddHook(counter)

	a := NewRedis(RedisConfig{Client: testenv.Redis(t), Prefix: prefix})
	b := NewRedis(RedisConfig{Client: bClient, Prefix: prefix, SyncInterval: 200 * time.Millisecond, RetryInterval: 200 * time.Millisecond})
	before := Ban{Subject: "192.0.2.9", Reason: ReasonManual, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := a.Add(ctx, before); err != nil {
		t.Fatal(err)
	}
	running(t, b)
	banned := func(ip string) func() bool {
		return func() bool { got, err := b.Check(ctx, addr(ip)); return err == nil && got != nil }
	}
	if !banned("192.0.2.9")() {
		t.Fatal("replica b's copy lacks the ban made before it started")
	}

	now := time.Now()
	if err := a.Add(ctx, Ban{Subject: "192.0.2.1", Reason: ReasonManual, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	t.Logf("a ban made on replica a was enforced by b after %v", waitFor(t, "b to enforce a's ban", banned("192.0.2.1")))

	n := counter.n.Load()
	for range 100 {
		if !banned("192.0.2.1")() || banned("192.0.2.2")() {
			t.Fatal("b's copy answers wrongly")
		}
	}
	if sent := counter.n.Load() - n; sent > 2 { // allow for one background ping and re-read
		t.Fatalf("200 checks sent %d commands to Redis, want none", sent)
	}

	if found, err := a.Lift(ctx, "192.0.2.1"); err != nil || !found {
		t.Fatalf("Lift: %v, %v", found, err)
	}
	t.Logf("a ban lifted on replica a was lifted on b after %v",
		waitFor(t, "b to lift the ban", func() bool { return !banned("192.0.2.1")() }))

	proxy.Down()
	waitFor(t, "b to notice Redis is down", func() bool { return !b.Mirrored() })
	if !banned("192.0.2.9")() {
		t.Fatal("with Redis down, b forgot a ban it knew of")
	}
	if err := a.Add(ctx, Ban{Subject: "192.0.2.3", Reason: ReasonManual, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	proxy.Up()
	waitFor(t, "b's copy to be current again", b.Mirrored)
	if !banned("192.0.2.3")() {
		t.Fatal("a ban made while b was cut off from Redis is not in b's copy once b is back")
	}
}

func TestRedisWithItsCopyCurrent(t *testing.T) {
	client := testenv.Redis(t)
	runSuite(t, func(t *testing.T, clock *fakeClock) List {
		l := NewRedis(RedisConfig{Client: client, Prefix: randomPrefix(), Now: clock.Now})
		running(t, l)
		return l
	})
}
