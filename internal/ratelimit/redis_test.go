package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"

	"github.com/redis/go-redis/v9"
)

// randomPrefix returns a key prefix no other test uses.
func randomPrefix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	return "gatehouse-test:" + hex.EncodeToString(b) + ":"
}

func TestRedis(t *testing.T) {
	client := testenv.Redis(t)
	runSuite(t, func(t *testing.T) backend {
		return backend{
			limiter: NewRedis(RedisConfig{Client: client, Prefix: randomPrefix(t)}),
			wait:    time.Sleep, // the GCRA runs on Redis's clock
			now:     time.Now,
		}
	})
}

func TestRedisLimitersShareOneLimit(t *testing.T) {
	prefix := randomPrefix(t)
	a := NewRedis(RedisConfig{Client: testenv.Redis(t), Prefix: prefix})
	b := NewRedis(RedisConfig{Client: testenv.Redis(t), Prefix: prefix})
	ctx := context.Background()
	key := Key{Kind: "client", Environment: "sandbox", ID: "c1"}
	l := Limit{Rate: 1, Burst: 10, Period: time.Hour}
	admitted := 0
	for i := range 20 {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		d, err := lim.Allow(ctx, key, l)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			admitted++
		}
	}
	if admitted != l.Burst {
		t.Fatalf("two limiters on one Redis admitted %d events, want one shared burst of %d", admitted, l.Burst)
	}
}

// closedRedis returns a client of an address where nothing listens.
func closedRedis(t *testing.T) *redis.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedisUnreachable(t *testing.T) {
	ctx := context.Background()
	key := Key{Kind: "ip", Environment: "sandbox", ID: "192.0.2.1"}
	l := Limit{Rate: 1, Burst: 3, Period: time.Hour}

	t.Run("falls back to local limits and logs one warning", func(t *testing.T) {
		var logs testenv.Logs
		clock := newFakeClock()
		r := NewRedis(RedisConfig{
			Client: closedRedis(t), Now: clock.Now, RetryInterval: time.Minute,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		})
		admitted := 0
		for range 10 {
			d, err := r.Allow(ctx, key, l)
			if err != nil {
				t.Fatalf("Allow with Redis down: %v", err)
			}
			if d.Allowed {
				admitted++
			}
		}
		if admitted != l.Burst {
			t.Errorf("the fallback admitted %d events, want the burst of %d", admitted, l.Burst)
		}
		if r.Healthy() {
			t.Error("Healthy is true while Redis is down")
		}
		if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
			t.Errorf("logged %d warnings, want 1 per retry interval:\n%s", n, logs.String())
		}
		clock.Advance(time.Minute)
		if _, err := r.Allow(ctx, key, l); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(logs.String(), "level=WARN"); n != 2 {
			t.Errorf("logged %d warnings after the retry interval, want a second one", n)
		}
	})

	t.Run("fails closed when configured", func(t *testing.T) {
		r := NewRedis(RedisConfig{Client: closedRedis(t), FailClosed: true})
		for i := range 2 {
			d, err := r.Allow(ctx, key, l)
			if !errors.Is(err, ErrUnavailable) || d.Allowed {
				t.Fatalf("call %d: got %+v, %v; want a refusal with ErrUnavailable", i, d, err)
			}
		}
	})

	t.Run("a cancelled caller does not mark Redis down", func(t *testing.T) {
		r := NewRedis(RedisConfig{Client: testenv.Redis(t), Prefix: randomPrefix(t)})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := r.Allow(cctx, key, l); err == nil {
			t.Fatal("Allow with a cancelled context succeeded")
		}
		if !r.Healthy() {
			t.Fatal("a cancelled request marked Redis down")
		}
	})
}

func TestRedisChecksAnEventInOneRoundTrip(t *testing.T) {
	var calls atomic.Int64
	r := NewRedis(RedisConfig{Client: testenv.Redis(t), Prefix: randomPrefix(t), OnCall: func(bool) { calls.Add(1) }})
	ip := Check{Key: Key{Kind: "ip", Environment: "sandbox", ID: "192.0.2.1"}, Limit: PerMinute(600, 200)}
	client := Check{Key: Key{Kind: "client", Environment: "sandbox", ID: "c1"}, Limit: PerMinute(60, 100)}
	for range 5 {
		if d, _, err := r.AllowEach(context.Background(), ip, client); err != nil || !d.Allowed {
			t.Fatalf("AllowEach: %+v, %v", d, err)
		}
	}
	if n := calls.Load(); n != 5 {
		t.Fatalf("5 events through two limits took %d calls to Redis, want 5", n)
	}
}

func TestRedisReportsFallingBackAndComingBack(t *testing.T) {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, opts.Addr)
	opts.Addr, opts.DialTimeout, opts.MaxRetries = proxy.Addr(), 200*time.Millisecond, -1
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	clock := newFakeClock()
	var states []bool
	var failed atomic.Int64
	r := NewRedis(RedisConfig{
		Client: client, Prefix: randomPrefix(t), Now: clock.Now, RetryInterval: time.Minute,
		OnFallback: func(down bool) { states = append(states, down) },
		OnCall: func(f bool) {
			if f {
				failed.Add(1)
			}
		},
	})
	ctx := context.Background()
	key := Key{Kind: "client", Environment: "sandbox", ID: "c1"}
	l := PerMinute(60, 100)
	allow := func() {
		t.Helper()
		if d, err := r.Allow(ctx, key, l); err != nil || !d.Allowed {
			t.Fatalf("Allow: %+v, %v", d, err)
		}
	}
	allow()
	proxy.Down()
	for range 3 {
		allow()
	}
	if failed.Load() != 1 {
		t.Errorf("%d failed calls to Redis, want 1: the fallback decides until the retry interval ends", failed.Load())
	}
	proxy.Up()
	allow() // still within the retry interval: the fallback decides
	clock.Advance(time.Minute)
	allow()
	if fmt.Sprint(states) != "[true false]" {
		t.Fatalf("fallback reports %v, want [true false]", states)
	}
}
