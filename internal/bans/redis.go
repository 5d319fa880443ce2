package bans

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
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
	// SyncInterval is how often Run re-reads every ban from Redis and
	// checks that its subscription is alive; 5 s if zero.
	SyncInterval time.Duration
	Logger       *slog.Logger
}

// Redis is a ban list every replica shares. Each ban is one key holding the
// ban as JSON, expiring with it, and every change is published on a Redis
// channel (the prefix followed by "changes"). Each process keeps a copy of
// the bans in a Memory list: its own always, and, while Run keeps it
// current from the channel, every replica's. Check answers from the copy
// while it is current (no round trip), from Redis otherwise, and from the
// copy again while Redis is unreachable.
type Redis struct {
	cfg       RedisConfig
	local     *Memory
	downUntil atomic.Int64
	// unsynced holds the bans this process could not store in Redis; they
	// are enforced from here and pushed to Redis as soon as it answers.
	unsynced *Memory
	pushing  atomic.Bool

	// mu orders changes of local against a resync, which replaces it;
	// changes counts them.
	mu      sync.Mutex
	changes uint64
	// current is true while local holds every replica's bans: Run is
	// subscribed, heard from Redis lately and has re-read every ban since
	// it subscribed.
	current    atomic.Bool
	subscribed atomic.Bool
	heardAt    atomic.Int64 // unix nanoseconds of the last message or pong
	// id tells this process's published changes, which it applied when it
	// made them, from other replicas'.
	id string
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
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	id := make([]byte, 8)
	rand.Read(id)
	return &Redis{cfg: cfg, local: NewMemory(cfg.Now), unsynced: NewMemory(cfg.Now), id: hex.EncodeToString(id)}
}

// channel is where changes of bans are published: "+" and the ban as JSON
// for a ban, "-" and the subject for a lift, each after the id of the
// process that made it and a space.
func (r *Redis) channel() string { return r.cfg.Prefix + "changes" }

// change applies f to the local copy, ordered against a resync.
func (r *Redis) change(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes++
	f()
}

// Add bans b.Subject on every replica until b.ExpiresAt.
func (r *Redis) Add(ctx context.Context, b Ban) error {
	r.change(func() { r.local.Add(ctx, b) })
	ttl := b.ExpiresAt.Sub(r.cfg.Now())
	if ttl <= 0 {
		return nil
	}
	v, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode ban of %s: %w", b.Subject, err)
	}
	_, err = r.cfg.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, r.cfg.Prefix+b.Subject, v, ttl+time.Second)
		p.Publish(ctx, r.channel(), "+"+r.id+" "+string(v))
		return nil
	})
	if err != nil {
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

// Check returns the active ban of ip's subject, or nil: from the local copy
// while Run keeps it current, else from Redis. While Redis is unreachable
// it answers from the local copy: the bans this process made and those it
// last knew of.
func (r *Redis) Check(ctx context.Context, ip netip.Addr) (*Ban, error) {
	if r.current.Load() || r.down() {
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
	var local bool
	r.change(func() { local, _ = r.local.Lift(ctx, subject) })
	r.unsynced.Lift(ctx, subject)
	var get *redis.StringCmd
	_, err := r.cfg.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.GetDel(ctx, r.cfg.Prefix+subject)
		p.Publish(ctx, r.channel(), "-"+r.id+" "+subject)
		return nil
	})
	if err == nil || errors.Is(err, redis.Nil) {
		err = get.Err()
	}
	v, _ := get.Bytes()
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
