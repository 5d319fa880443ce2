package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
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
