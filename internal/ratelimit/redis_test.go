package ratelimit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisEnv names the environment variable with the URL of a Redis server
// the tests may write to (keys under a random prefix).
const redisEnv = "GATEHOUSE_TEST_REDIS"

// testRedis returns a client of the test Redis server, or skips t.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv(redisEnv)
	if url == "" {
		t.Skipf("%s is not set; set it to a Redis URL (redis://127.0.0.1:6379/0) to run the Redis tests", redisEnv)
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", redisEnv, err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping Redis at %s: %v", url, err)
	}
	return c
}

// randomPrefix returns a key prefix no other test uses.
func randomPrefix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	return "gatehouse-test:" + hex.EncodeToString(b) + ":"
}

func TestRedis(t *testing.T) {
	client := testRedis(t)
	runSuite(t, func(t *testing.T) backend {
		return backend{
			limiter: NewRedis(RedisConfig{Client: client, Prefix: randomPrefix(t)}),
			wait:    time.Sleep, // the GCRA runs on Redis's clock
		}
	})
}

func TestRedisLimitersShareOneLimit(t *testing.T) {
	prefix := randomPrefix(t)
	a := NewRedis(RedisConfig{Client: testRedis(t), Prefix: prefix})
	b := NewRedis(RedisConfig{Client: testRedis(t), Prefix: prefix})
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

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRedisUnreachable(t *testing.T) {
	ctx := context.Background()
	key := Key{Kind: "ip", Environment: "sandbox", ID: "192.0.2.1"}
	l := Limit{Rate: 1, Burst: 3, Period: time.Hour}

	t.Run("falls back to local limits and logs one warning", func(t *testing.T) {
		var logs syncBuffer
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
		r := NewRedis(RedisConfig{Client: testRedis(t), Prefix: randomPrefix(t)})
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
