package bans

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Run keeps this process's copy of the bans current until ctx ends, so
// that Check answers without a round trip to Redis: it subscribes to the
// changes every replica publishes, re-reads every ban from Redis when it
// (re)subscribes and every SyncInterval, pings Redis as often, and pushes
// the bans made while Redis was unreachable. While the subscription is
// down or silent for two intervals, or a re-read fails, the copy is not
// current and Check asks Redis.
func (r *Redis) Run(ctx context.Context) {
	ps := r.cfg.Client.Subscribe(ctx, r.channel())
	defer ps.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.receive(ctx, ps)
	}()
	t := time.NewTicker(r.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.current.Store(false)
			ps.Close()
			<-done
			return
		case <-t.C:
			if time.Since(time.Unix(0, r.heardAt.Load())) > 2*r.cfg.SyncInterval {
				r.current.Store(false)
			}
			ps.Ping(ctx)
			r.resync(ctx)
			if r.unsynced.Len() > 0 && !r.down() {
				r.pushUnsynced(ctx)
			}
		}
	}
}

// Mirrored reports whether Check answers from this process's copy of the
// bans (Run keeps it current) rather than from Redis.
func (r *Redis) Mirrored() bool { return r.current.Load() }

// receive applies the published changes to the local copy until ctx ends.
func (r *Redis) receive(ctx context.Context, ps *redis.PubSub) {
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			r.subscribed.Store(false)
			r.current.Store(false)
			if ctx.Err() != nil {
				return
			}
			// The next Receive reconnects and subscribes again.
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(r.cfg.RetryInterval, time.Second)):
			}
			continue
		}
		r.heardAt.Store(time.Now().UnixNano())
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				r.subscribed.Store(true)
				// Changes published before the subscription were missed:
				// re-read everything. A change arriving meanwhile makes
				// the re-read start over.
				for range 5 {
					if r.resync(ctx) {
						break
					}
				}
			}
		case *redis.Message:
			r.apply(ctx, m.Payload)
		}
	}
}

// apply applies one change another replica published to the local copy.
func (r *Redis) apply(ctx context.Context, payload string) {
	from, what, ok := strings.Cut(payload, " ")
	if !ok || len(from) < 1 || from[1:] == r.id {
		return
	}
	switch from[0] {
	case '+':
		var b Ban
		if json.Unmarshal([]byte(what), &b) == nil && b.Subject != "" {
			r.change(func() { r.local.Add(ctx, b) })
		}
	case '-':
		r.change(func() { r.local.Lift(ctx, what) })
	}
}

// resync replaces the local copy with every ban in Redis (and the bans
// not yet stored there) and reports whether it did. It does not when
// reading fails (the copy is then not current) or when the copy changed
// while it read.
func (r *Redis) resync(ctx context.Context) bool {
	r.mu.Lock()
	before := r.changes
	r.mu.Unlock()
	list, err := r.Bans(ctx)
	if err != nil {
		r.current.Store(false)
		return false
	}
	unsynced, _ := r.unsynced.Bans(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.changes != before {
		return false
	}
	r.local.replace(append(list, unsynced...))
	r.current.Store(r.subscribed.Load() && time.Since(time.Unix(0, r.heardAt.Load())) <= 2*r.cfg.SyncInterval)
	return true
}
