package ratelimit

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix is the prefix of every key a Redis limiter writes.
const DefaultRedisPrefix = "gatehouse:rl:"

// RedisConfig configures a Redis limiter.
type RedisConfig struct {
	// Client is the Redis connection; required.
	Client redis.UniversalClient
	// Prefix is put before every key; DefaultRedisPrefix if empty.
	Prefix string
	// FailClosed makes Allow fail with ErrUnavailable while Redis is
	// unreachable, instead of deciding with the fallback.
	FailClosed bool
	// Fallback decides while Redis is unreachable; a new Memory limiter if nil.
	Fallback Limiter
	// RetryInterval is how long the limiter keeps to the fallback after a
	// Redis failure before it tries Redis again; 5 s if zero.
	RetryInterval time.Duration
	// Now reads the time for the retry interval; time.Now if nil.
	Now    func() time.Time
	Logger *slog.Logger
	// OnCall, if set, is told of every call to Redis: whether it failed.
	OnCall func(failed bool)
	// OnFallback, if set, is told when the limiter turns to its fallback
	// (true) and back to Redis (false).
	OnFallback func(down bool)
}

// gcraSource is the GCRA of every Redis limiter call, run in Redis.
//
//go:embed gcra.lua
var gcraSource string

// gcra runs by EVALSHA, loaded by an EVAL the first time a Redis lacks it.
var gcra = redis.NewScript(gcraSource)

// Redis is a limiter shared by every replica through Redis. Its GCRA runs in
// Redis (gcra.lua), on Redis's clock, so replicas agree whatever their own
// clocks say; any number of limits for one event take one round trip.
type Redis struct {
	cfg       RedisConfig
	downUntil atomic.Int64 // unix nanoseconds; while in the future, the fallback decides
	fellBack  atomic.Bool  // the last call to Redis failed
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a Redis limiter.
func NewRedis(cfg RedisConfig) *Redis {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultRedisPrefix
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Fallback == nil {
		cfg.Fallback = NewMemory(cfg.Now)
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Redis{cfg: cfg}
}

// Allow counts one event under key in Redis if l admits it now. While Redis
// is unreachable it decides with the fallback limiter (each replica then
// enforces the limit on its own), or fails with ErrUnavailable if the
// limiter fails closed.
func (r *Redis) Allow(ctx context.Context, key Key, l Limit) (Decision, error) {
	d, _, err := r.AllowEach(ctx, Check{Key: key, Limit: l})
	return d, err
}

// AllowEach passes one event through checks in order in one round trip to
// Redis (see Limiter). While Redis is unreachable it decides with the
// fallback, or fails with ErrUnavailable if the limiter fails closed.
func (r *Redis) AllowEach(ctx context.Context, checks ...Check) (Decision, int, error) {
	var keysBuf [4]string
	var argsBuf [8]any
	keys, args := keysBuf[:0], argsBuf[:0]
	least := -1
	for _, c := range checks {
		if c.Limit.Unlimited() {
			least = minRemaining(least, c.Limit.burst())
			continue
		}
		keys = append(keys, r.cfg.Prefix+c.Key.String())
		args = append(args, strconv.FormatFloat(float64(c.Limit.interval())/float64(time.Microsecond), 'f', -1, 64), c.Limit.burst())
	}
	if len(keys) == 0 {
		return Decision{Allowed: true, Remaining: max(least, 0)}, -1, nil
	}
	if r.down() {
		return r.fallback(ctx, checks)
	}
	res, err := gcra.Run(ctx, r.cfg.Client, keys, args...).Int64Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("the limiter script answered %d values, want 2", len(res))
	}
	if r.cfg.OnCall != nil {
		r.cfg.OnCall(err != nil)
	}
	if err != nil {
		if ctx.Err() != nil { // the caller gave up; Redis may be fine
			return Decision{}, -1, ctx.Err()
		}
		r.markDown(err)
		return r.fallback(ctx, checks)
	}
	if r.fellBack.CompareAndSwap(true, false) && r.cfg.OnFallback != nil {
		r.cfg.OnFallback(false)
	}
	if res[0] == 0 {
		return Decision{Allowed: true, Remaining: int(minRemaining(least, int(res[1])))}, -1, nil
	}
	// The script numbers the limited checks from 1; find the check.
	refused, n := -1, int(res[0])
	for i, c := range checks {
		if !c.Limit.Unlimited() {
			if n--; n == 0 {
				refused = i
				break
			}
		}
	}
	return Decision{RetryAfter: max(time.Duration(res[1])*time.Microsecond, time.Microsecond)}, refused, nil
}

// minRemaining is the lesser of two Remaining counts, least being -1 for
// none yet.
func minRemaining(least, n int) int {
	if least < 0 || n < least {
		return n
	}
	return least
}

// Healthy reports whether the limiter is using Redis (rather than its
// fallback) at the moment.
func (r *Redis) Healthy() bool { return !r.down() }

func (r *Redis) down() bool {
	until := r.downUntil.Load()
	return until != 0 && r.cfg.Now().UnixNano() < until
}

func (r *Redis) markDown(err error) {
	r.downUntil.Store(r.cfg.Now().Add(r.cfg.RetryInterval).UnixNano())
	if r.fellBack.CompareAndSwap(false, true) && r.cfg.OnFallback != nil {
		r.cfg.OnFallback(true)
	}
	if r.cfg.FailClosed {
		r.cfg.Logger.Warn("redis is unreachable: refusing rate-limited requests (fail closed)",
			"retry_in", r.cfg.RetryInterval, "err", err)
	} else {
		r.cfg.Logger.Warn("redis is unreachable: enforcing rate limits per replica until it is back",
			"retry_in", r.cfg.RetryInterval, "err", err)
	}
}

func (r *Redis) fallback(ctx context.Context, checks []Check) (Decision, int, error) {
	if r.cfg.FailClosed {
		return Decision{}, -1, fmt.Errorf("rate limit %s: %w", checks[0].Key.Kind, ErrUnavailable)
	}
	return r.cfg.Fallback.AllowEach(ctx, checks...)
}
