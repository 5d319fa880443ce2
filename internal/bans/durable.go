package bans

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// Store is the record of bans (the database): what a Durable list re-fills
// its fast copy from.
type Store interface {
	// SaveBan records b, replacing an earlier ban of its subject.
	SaveBan(ctx context.Context, b Ban) error
	// DeleteBan removes the ban of subject and reports whether there was one.
	DeleteBan(ctx context.Context, subject string) (bool, error)
	// ActiveBans returns the bans in force at now.
	ActiveBans(ctx context.Context, now time.Time) ([]Ban, error)
}

// DurableConfig configures a Durable list.
type DurableConfig struct {
	Fast  List  // required: Memory or Redis, what checks read
	Store Store // required
	// SyncInterval is how often bans are re-read from the store and pushed
	// into the fast list, and unsaved bans retried [5s].
	SyncInterval time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
}

// Durable is a ban list whose bans survive Redis restarts, Redis outages
// and restarts of the server. Checks read only the fast list (memory or
// Redis): the token path reads no database. Every ban is also recorded in
// the store, and the store's bans are pushed into the fast list at start
// and every SyncInterval, so a Redis that lost its data (restarted without
// persistence) or missed bans (made while it was down) is re-filled.
//
// Adding a ban never waits for the store: the ban is enforced at once from
// the fast list and saved by Run, retried until the store takes it.
type Durable struct {
	cfg  DurableConfig
	kick chan struct{}

	mu      sync.Mutex
	pending map[string]Ban // not yet saved in the store
}

var _ List = (*Durable)(nil)

// NewDurable returns a Durable list; call Load, then Run.
func NewDurable(cfg DurableConfig) *Durable {
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Durable{cfg: cfg, kick: make(chan struct{}, 1), pending: map[string]Ban{}}
}

// Add bans b.Subject at once in the fast list and has Run record it.
func (d *Durable) Add(ctx context.Context, b Ban) error {
	d.mu.Lock()
	d.pending[b.Subject] = b
	d.mu.Unlock()
	select {
	case d.kick <- struct{}{}:
	default:
	}
	return d.cfg.Fast.Add(ctx, b)
}

// Check returns the active ban of ip's subject from the fast list.
func (d *Durable) Check(ctx context.Context, ip netip.Addr) (*Ban, error) {
	return d.cfg.Fast.Check(ctx, ip)
}

// Bans returns the active bans of the fast list.
func (d *Durable) Bans(ctx context.Context) ([]Ban, error) { return d.cfg.Fast.Bans(ctx) }

// Lift removes the ban of subject from the store and the fast list. It
// fails, lifting nothing, when the store cannot be written: a ban lifted
// only in the fast list would come back at the next sync.
func (d *Durable) Lift(ctx context.Context, subject string) (bool, error) {
	d.mu.Lock()
	_, pending := d.pending[subject]
	delete(d.pending, subject)
	d.mu.Unlock()
	stored, err := d.cfg.Store.DeleteBan(ctx, subject)
	if err != nil {
		return false, fmt.Errorf("lift ban of %s: %w", subject, err)
	}
	fast, err := d.cfg.Fast.Lift(ctx, subject)
	if err != nil {
		return false, err
	}
	// A replica's sync that read the ban just before it was deleted may
	// push it back once; lift it again after that sync has passed.
	time.AfterFunc(d.cfg.SyncInterval+time.Second, func() {
		lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if again, _ := d.cfg.Store.ActiveBans(lctx, d.cfg.Now()); !hasSubject(again, subject) {
			d.cfg.Fast.Lift(lctx, subject)
		}
	})
	return stored || fast || pending, nil
}

func hasSubject(list []Ban, subject string) bool {
	for _, b := range list {
		if b.Subject == subject {
			return true
		}
	}
	return false
}

// Load pushes the store's bans into the fast list: at start, so that a
// restarted server enforces the bans made before.
func (d *Durable) Load(ctx context.Context) error {
	return d.sync(ctx)
}

// Run saves new bans and re-fills the fast list every SyncInterval until
// ctx ends, then tries once more to save what is unsaved.
func (d *Durable) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			d.savePending(sctx)
			cancel()
			return
		case <-d.kick:
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			d.savePending(sctx)
			cancel()
		case <-t.C:
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := d.sync(sctx); err != nil {
				d.cfg.Logger.Warn("re-fill bans from the database", "err", err)
			}
			cancel()
		}
	}
}

// Unsaved returns how many bans are not yet recorded in the store.
func (d *Durable) Unsaved() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.pending)
}

// savePending records the bans not yet saved and pushes them into the fast
// list again (it may have missed them, being down).
func (d *Durable) savePending(ctx context.Context) error {
	d.mu.Lock()
	list := make([]Ban, 0, len(d.pending))
	for _, b := range d.pending {
		list = append(list, b)
	}
	d.mu.Unlock()
	now := d.cfg.Now()
	for _, b := range list {
		if !b.Active(now) {
			d.forget(b)
			continue
		}
		d.cfg.Fast.Add(ctx, b)
		if err := d.cfg.Store.SaveBan(ctx, b); err != nil {
			d.cfg.Logger.Warn("record a ban in the database; it is enforced meanwhile and will be retried", "subject", b.Subject, "err", err)
			return err
		}
		d.forget(b)
	}
	return nil
}

// forget drops b from the pending bans unless a newer ban of its subject
// replaced it.
func (d *Durable) forget(b Ban) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur, ok := d.pending[b.Subject]; ok && cur.ExpiresAt.Equal(b.ExpiresAt) && cur.Reason == b.Reason {
		delete(d.pending, b.Subject)
	}
}

// sync saves pending bans, then pushes every ban of the store into the
// fast list.
func (d *Durable) sync(ctx context.Context) error {
	saveErr := d.savePending(ctx)
	list, err := d.cfg.Store.ActiveBans(ctx, d.cfg.Now())
	if err != nil {
		return fmt.Errorf("load bans: %w", err)
	}
	for _, b := range list {
		if err := d.cfg.Fast.Add(ctx, b); err != nil {
			return fmt.Errorf("push bans into the fast list: %w", err)
		}
	}
	return saveErr
}
