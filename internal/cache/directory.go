package cache

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

// Environment is an environment with its parsed keys.
type Environment struct {
	*gatehouse.Environment
	Keys *keys.KeySet
}

// Directory is the in-memory view of the store. Its read methods never touch
// the store and are safe for concurrent use.
type Directory struct {
	store  gatehouse.Store
	now    func() time.Time
	logger *slog.Logger

	envs    atomic.Pointer[map[string]*Environment]
	clients sync.Map // client id → *gatehouse.Client
	revoked atomic.Pointer[map[string]time.Time]
	// credentials are the revoked clients and secrets (credentials.go).
	credentials atomic.Pointer[revokedCredentials]

	// records are the unexpired revocation records, for the revocation
	// feed (revocations.go).
	records atomic.Pointer[RevocationRecords]

	mu       sync.Mutex // serialises syncs
	lastID   int64
	lastSync atomic.Int64 // unix nanoseconds of the last successful sync
	// position is lastID, readable without mu; changed is closed (and
	// replaced) after every sync that applied changes.
	position atomic.Int64
	changed  atomic.Pointer[chan struct{}]
}

// Config configures a Directory.
type Config struct {
	Store  gatehouse.Store
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns an empty directory; call Load before use.
func New(cfg Config) *Directory {
	d := &Directory{store: cfg.Store, now: cfg.Now, logger: cfg.Logger}
	if d.now == nil {
		d.now = time.Now
	}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	empty := map[string]*Environment{}
	d.envs.Store(&empty)
	none := map[string]time.Time{}
	d.revoked.Store(&none)
	d.credentials.Store(&revokedCredentials{})
	d.records.Store(&RevocationRecords{})
	ch := make(chan struct{})
	d.changed.Store(&ch)
	return d
}

// Environment returns a loaded environment, or nil.
func (d *Directory) Environment(name string) *Environment { return (*d.envs.Load())[name] }

// Environments returns all loaded environments.
func (d *Directory) Environments() map[string]*Environment { return *d.envs.Load() }

// Client returns a loaded client, or nil. The returned value must not be
// modified.
func (d *Directory) Client(id string) *gatehouse.Client {
	if v, ok := d.clients.Load(id); ok {
		return v.(*gatehouse.Client)
	}
	return nil
}

// Revoked reports whether the token with id jti was revoked.
func (d *Directory) Revoked(jti string) bool {
	_, ok := (*d.revoked.Load())[jti]
	return ok
}

// LastSync returns when the directory last caught up with the store.
func (d *Directory) LastSync() time.Time { return time.Unix(0, d.lastSync.Load()) }

// Load reads everything from the store. It is called at start and after the
// directory has lost the change feed for too long.
func (d *Directory) Load(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Read the feed position first: a change that lands during the load is
	// applied again by the next sync, which is harmless.
	last, err := d.store.LatestChange(ctx)
	if err != nil {
		return fmt.Errorf("read change feed: %w", err)
	}
	list, err := d.store.Environments(ctx)
	if err != nil {
		return fmt.Errorf("load environments: %w", err)
	}
	envs := make(map[string]*Environment, len(list))
	for _, e := range list {
		ce, err := d.loadEnvironment(ctx, e)
		if err != nil {
			return err
		}
		envs[e.Name] = ce
	}
	seen := map[string]bool{}
	for f := (gatehouse.ClientFilter{Limit: 1000}); ; {
		page, err := d.store.Clients(ctx, f)
		if err != nil {
			return fmt.Errorf("load clients: %w", err)
		}
		for _, c := range page {
			d.clients.Store(c.ID, c)
			seen[c.ID] = true
		}
		if len(page) < f.Limit {
			break
		}
		f.AfterID = page[len(page)-1].ID
	}
	d.clients.Range(func(k, _ any) bool {
		if !seen[k.(string)] {
			d.clients.Delete(k)
		}
		return true
	})
	if err := d.loadRevocations(ctx); err != nil {
		return err
	}
	d.envs.Store(&envs)
	d.lastID = last
	d.lastSync.Store(d.now().UnixNano())
	d.advance()
	return nil
}

func (d *Directory) loadEnvironment(ctx context.Context, e *gatehouse.Environment) (*Environment, error) {
	stored, err := d.store.SigningKeys(ctx, e.Name)
	if err != nil {
		return nil, fmt.Errorf("load keys of %s: %w", e.Name, err)
	}
	parsed := make([]*keys.Key, 0, len(stored))
	for _, k := range stored {
		p, err := keys.Parse(k)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, p)
	}
	ks, err := keys.NewKeySet(parsed, d.now())
	if err != nil {
		return nil, err
	}
	return &Environment{Environment: e, Keys: ks}, nil
}

func (d *Directory) loadRevocations(ctx context.Context) error {
	list, err := d.store.RevokedTokens(ctx, d.now())
	if err != nil {
		return fmt.Errorf("load revoked tokens: %w", err)
	}
	m := make(map[string]time.Time, len(list))
	for _, t := range list {
		m[t.ID] = t.ExpiresAt
	}
	creds, err := d.loadCredentialRevocations(ctx)
	if err != nil {
		return err
	}
	d.revoked.Store(&m)
	d.records.Store(&RevocationRecords{Tokens: list, Credentials: creds})
	return nil
}

// Refresh applies every change in the feed since the last sync. The admin
// API calls it after a mutation so that the change is visible at once.
func (d *Directory) Refresh(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		changes, err := d.store.Changes(ctx, d.lastID, 500)
		if err != nil {
			return fmt.Errorf("read change feed: %w", err)
		}
		if err := d.apply(ctx, changes); err != nil {
			return err
		}
		if len(changes) < 500 {
			break
		}
	}
	d.lastSync.Store(d.now().UnixNano())
	return nil
}

// apply reloads what the changes name. Each reload reads the current state,
// so applying a change twice is harmless.
func (d *Directory) apply(ctx context.Context, changes []gatehouse.Change) error {
	envsToLoad := map[string]bool{}
	revocations := false
	for _, ch := range changes {
		switch ch.Kind {
		case gatehouse.ChangeClient:
			c, err := d.store.Client(ctx, ch.Key)
			switch {
			case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
				d.clients.Delete(ch.Key)
			case err != nil:
				return fmt.Errorf("reload client %s: %w", ch.Key, err)
			default:
				d.clients.Store(c.ID, c)
			}
		case gatehouse.ChangeEnvironment:
			envsToLoad[ch.Key] = true
		case gatehouse.ChangeSigningKey:
			env, _, _ := strings.Cut(ch.Key, "/")
			envsToLoad[env] = true
		case gatehouse.ChangeRevocation:
			revocations = true
		}
	}
	if len(envsToLoad) > 0 {
		next := make(map[string]*Environment, len(*d.envs.Load())+1)
		for k, v := range *d.envs.Load() {
			next[k] = v
		}
		for name := range envsToLoad {
			e, err := d.store.Environment(ctx, name)
			if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
				delete(next, name)
				continue
			} else if err != nil {
				return fmt.Errorf("reload environment %s: %w", name, err)
			}
			ce, err := d.loadEnvironment(ctx, e)
			if err != nil {
				return err
			}
			next[name] = ce
		}
		d.envs.Store(&next)
	}
	if revocations {
		if err := d.loadRevocations(ctx); err != nil {
			return err
		}
	}
	if n := len(changes); n > 0 {
		d.lastID = changes[n-1].ID
		d.advance()
	}
	return nil
}

// Watch follows the change feed every interval until ctx ends. When the
// store has been unreachable for longer than fullReloadAfter, the next
// successful sync reloads everything (old changes may have been pruned).
func (d *Directory) Watch(ctx context.Context, interval time.Duration) {
	const fullReloadAfter = 10 * time.Minute
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var err error
		if d.now().Sub(d.LastSync()) > fullReloadAfter {
			err = d.Load(ctx)
		} else {
			err = d.Refresh(ctx)
		}
		if err != nil && !failing {
			d.logger.Warn("credential cache cannot follow the store; serving cached credentials", "err", err)
		} else if err == nil && failing {
			d.logger.Info("credential cache caught up with the store again")
		}
		failing = err != nil
	}
}
