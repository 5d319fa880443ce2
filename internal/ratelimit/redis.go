package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
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
}

// Redis is a limiter shared by every replica through Redis. Its GCRA runs in
// Redis (github.com/go-redis/redis_rate), on Redis's clock, so replicas
// agree whatever their own clocks say.
type Redis struct {
	cfg     RedisConfig
	limiter *redis_rate.Limiter

	downUntil atomic.Int64 // unix nanoseconds; while in the future, the fallback decides
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
	return &Redis{cfg: cfg, limiter: redis_rate.NewLimiter(cfg.Client)}
}

// Allow counts one event under key in Redis if l admits it now. While Redis
// is unreachable it decides with the fallback limiter (each replica then
// enforces the limit on its own), or fails with ErrUnavailable if the
// limiter fails closed.
func (r *Redis) Allow(ctx context.Context, key Key, l Limit) (Decision, error) {
	if l.Unlimited() {
		return Decision{Allowed: true, Remaining: l.burst()}, nil
	}
	if r.down() {
		return r.fallback(ctx, key, l)
	}
	res, err := r.limiter.Allow(ctx, r.cfg.Prefix+key.String(), redis_rate.Limit{Rate: l.Rate, Burst: l.burst(), Period: l.Period})
	if err != nil {
		if ctx.Err() != nil { // the caller gave up; Redis may be fine
			return Decision{}, ctx.Err()
		}
		r.markDown(err)
		return r.fallback(ctx, key, l)
	}
	d := Decision{Allowed: res.Allowed > 0, Remaining: res.Remaining}
	if !d.Allowed {
		d.RetryAfter = max(res.RetryAfter, time.Millisecond)
	}
	return d, nil
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
	if r.cfg.FailClosed {
		r.cfg.Logger.Warn("redis is unreachable: refusing rate-limited requests (fail closed)",
			"retry_in", r.cfg.RetryInterval, "err", err)
	} else {
		r.cfg.Logger.Warn("redis is unreachable: enforcing rate limits per replica until it is back",
			"retry_in", r.cfg.RetryInterval, "err", err)
	}
}

func (r *Redis) fallback(ctx context.Context, key Key, l Limit) (Decision, error) {
	if r.cfg.FailClosed {
		return Decision{}, fmt.Errorf("rate limit %s: %w", key.Kind, ErrUnavailable)
	}
	return r.cfg.Fallback.Allow(ctx, key, l)
}
