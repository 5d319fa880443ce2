package bans

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix is the prefix of the keys a Redis ban list writes.
const DefaultRedisPrefix = "gatehouse:ban:"

// RedisConfig configures a Redis ban list.
type RedisConfig struct {
	Client redis.UniversalClient // required
	Prefix string                // DefaultRedisPrefix if empty
	// Now reads the time bans are compared with; time.Now if nil.
	Now func() time.Time
	// RetryInterval is how long the list answers from its local copy after
	// a Redis failure before it tries Redis again; 5 s if zero.
	RetryInterval time.Duration
	Logger        *slog.Logger
}

// Redis is a ban list every replica shares. Each ban is one key holding the
// ban as JSON, expiring with it. Bans made by this process are also kept in
// a Memory list, which answers while Redis is unreachable.
type Redis struct {
	cfg       RedisConfig
	local     *Memory
	downUntil atomic.Int64
	// unsynced holds the bans this process could not store in Redis; they
	// are enforced from here and pushed to Redis as soon as it answers.
	unsynced *Memory
	pushing  atomic.Bool
}

var _ List = (*Redis)(nil)

// NewRedis returns a Redis ban list.
func NewRedis(cfg RedisConfig) *Redis {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultRedisPrefix
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Redis{cfg: cfg, local: NewMemory(cfg.Now), unsynced: NewMemory(cfg.Now)}
}

// Add bans b.Subject on every replica until b.ExpiresAt.
func (r *Redis) Add(ctx context.Context, b Ban) error {
	r.local.Add(ctx, b)
	ttl := b.ExpiresAt.Sub(r.cfg.Now())
	if ttl <= 0 {
		return nil
	}
	v, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode ban of %s: %w", b.Subject, err)
	}
	if err := r.cfg.Client.Set(ctx, r.cfg.Prefix+b.Subject, v, ttl+time.Second).Err(); err != nil {
		r.unsynced.Add(ctx, b)
		r.failed(ctx, err)
		return fmt.Errorf("store ban of %s in redis: %w", b.Subject, err)
	}
	r.unsynced.Lift(ctx, b.Subject)
	return nil
}

// pushUnsynced stores in Redis the bans made while it was unreachable.
func (r *Redis) pushUnsynced(ctx context.Context) {
	if !r.pushing.CompareAndSwap(false, true) {
		return
	}
	defer r.pushing.Store(false)
	list, _ := r.unsynced.Bans(ctx)
	for _, b := range list {
		if err := r.Add(ctx, b); err != nil {
			return
		}
	}
	if len(list) > 0 {
		r.cfg.Logger.Info("redis is back: pushed the bans made while it was unreachable", "bans", len(list))
	}
}

// Check returns the active ban of ip's subject, or nil. While Redis is
// unreachable it answers from the bans this process made.
func (r *Redis) Check(ctx context.Context, ip netip.Addr) (*Ban, error) {
	if r.down() {
		return r.local.Check(ctx, ip)
	}
	v, err := r.cfg.Client.Get(ctx, r.cfg.Prefix+SubjectOf(ip)).Bytes()
	if (err == nil || errors.Is(err, redis.Nil)) && r.unsynced.Len() > 0 {
		// Redis answers again: it learns the bans it missed, which are
		// enforced from here until it has them.
		missed, _ := r.unsynced.Check(ctx, ip)
		r.pushUnsynced(ctx)
		if missed != nil {
			return missed, nil
		}
	}
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.failed(ctx, err)
		return r.local.Check(ctx, ip)
	}
	var b Ban
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, fmt.Errorf("decode ban of %s: %w", SubjectOf(ip), err)
	}
	if !b.Active(r.cfg.Now()) {
		return nil, nil
	}
	return &b, nil
}

// Bans returns the active bans of every replica, by subject.
func (r *Redis) Bans(ctx context.Context) ([]Ban, error) {
	var keys []string
	iter := r.cfg.Client.Scan(ctx, 0, r.cfg.Prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("list bans in redis: %w", err)
	}
	now := r.cfg.Now()
	var list []Ban
	for chunk := range slices.Chunk(keys, 500) {
		vals, err := r.cfg.Client.MGet(ctx, chunk...).Result()
		if err != nil {
			return nil, fmt.Errorf("list bans in redis: %w", err)
		}
		for _, v := range vals {
			s, ok := v.(string)
			if !ok { // expired between SCAN and MGET
				continue
			}
			var b Ban
			if err := json.Unmarshal([]byte(s), &b); err == nil && b.Active(now) {
				list = append(list, b)
			}
		}
	}
	slices.SortFunc(list, func(a, b Ban) int { return strings.Compare(a.Subject, b.Subject) })
	return list, nil
}

// Lift removes the ban of subject on every replica.
func (r *Redis) Lift(ctx context.Context, subject string) (bool, error) {
	local, _ := r.local.Lift(ctx, subject)
	r.unsynced.Lift(ctx, subject)
	v, err := r.cfg.Client.GetDel(ctx, r.cfg.Prefix+subject).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return local, nil
	case err != nil:
		return false, fmt.Errorf("lift ban of %s in redis: %w", subject, err)
	}
	var b Ban
	if json.Unmarshal(v, &b) == nil && b.Active(r.cfg.Now()) {
		return true, nil
	}
	return local, nil
}

func (r *Redis) down() bool {
	until := r.downUntil.Load()
	return until != 0 && r.cfg.Now().UnixNano() < until
}

func (r *Redis) failed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	r.downUntil.Store(r.cfg.Now().Add(r.cfg.RetryInterval).UnixNano())
	r.cfg.Logger.Warn("redis is unreachable: checking only this replica's bans until it is back",
		"retry_in", r.cfg.RetryInterval, "err", err)
}
