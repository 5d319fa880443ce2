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
	"golang.org/x/sync/singleflight"
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
	revoked atomic.Pointer[map[string]time.Time]

	// Clients are loaded on demand (clients.go): clients holds the ones in
	// use, absent the ids the store did not have, filter every stored id.
	clients     *boundedSet[clientEntry, gatehouse.Client]
	absent      *boundedSet[struct{}, struct{}]
	shapes      shapeTable // the shared parts of cached clients (entry.go)
	stats       lookupStats
	filter      atomic.Pointer[idFilter]
	loads       singleflight.Group
	loadTimeout time.Duration
	// generation increases before every invalidation of a client, so a
	// load that raced one does not store what it read.
	generation atomic.Uint64
	// filterBuild is non-nil while BuildFilter scans; the change feed
	// records created ids in it (under mu) so the new filter has them.
	filterBuild *filterBuild
	// epoch counts full loads; a filter scan that began before one is
	// discarded (the load may have skipped changes the scan missed).
	epoch    int64
	building atomic.Bool
	// loadFailureLogged is when a failed client read was last logged (unix
	// nanoseconds).
	loadFailureLogged atomic.Int64
	// credentials are the revoked clients and secrets (credentials.go).
	credentials atomic.Pointer[revokedCredentials]

	// records are the unexpired revocation records, for the revocation
	// feed (revocations.go).
	records atomic.Pointer[RevocationRecords]

	// runMu guards the Refresh runs: queued is the run new callers wait
	// for, running whether a goroutine is working through runs.
	runMu   sync.Mutex
	queued  *refreshRun
	running bool

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
	// ClientCacheSize is how many clients are kept in memory (the ones used
	// most recently, roughly); DefaultClientCacheSize if 0.
	ClientCacheSize int
	// AbsentCacheSize is how many ids the store did not have are
	// remembered; ClientCacheSize/4 if 0.
	AbsentCacheSize int
	// LoadTimeout bounds the store read of a client that is not in memory;
	// 2 seconds if 0.
	LoadTimeout time.Duration
}

// DefaultClientCacheSize is the default number of clients kept in memory.
const DefaultClientCacheSize = 50_000

// New returns an empty directory; call Load before use.
func New(cfg Config) *Directory {
	d := &Directory{store: cfg.Store, now: cfg.Now, logger: cfg.Logger, loadTimeout: cfg.LoadTimeout}
	size := cfg.ClientCacheSize
	if size <= 0 {
		size = DefaultClientCacheSize
	}
	absent := cfg.AbsentCacheSize
	if absent <= 0 {
		absent = max(size/4, 1024)
	}
	d.clients, d.absent = newBoundedSet[clientEntry, gatehouse.Client](size), newBoundedSet[struct{}, struct{}](absent)
	if d.loadTimeout <= 0 {
		d.loadTimeout = 2 * time.Second
	}
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

// Revoked reports whether the token with id jti was revoked.
func (d *Directory) Revoked(jti string) bool {
	_, ok := (*d.revoked.Load())[jti]
	return ok
}

// LastSync returns when the directory last caught up with the store.
func (d *Directory) LastSync() time.Time { return time.Unix(0, d.lastSync.Load()) }

// Load reads environments, signing keys and revocations from the store and
// forgets every client it held; clients are read when first asked for. It is
// called at start and after the directory has lost the change feed for too
// long. Until BuildFilter has run after it, every id not in memory costs a
// store read (collapsed per id, and remembered when absent).
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
	if err := d.loadRevocations(ctx); err != nil {
		return err
	}
	d.forgetClients()
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

// refreshRun is one sync that Refresh callers wait for.
type refreshRun struct {
	done chan struct{}
	err  error
}

// refreshTimeout bounds one sync run on behalf of Refresh callers, which
// may each stop waiting earlier.
const refreshTimeout = 30 * time.Second

// Refresh applies every change in the feed since the last sync. The admin
// API and token revocation call it after a mutation so that the change is
// visible at once. Callers that arrive while a sync runs share the next
// one, which starts after they called and so sees what they committed: a
// burst of mutations costs two syncs, not one each (a sync that applies a
// revocation re-reads every unexpired revocation).
func (d *Directory) Refresh(ctx context.Context) error {
	d.runMu.Lock()
	if d.queued == nil {
		d.queued = &refreshRun{done: make(chan struct{})}
	}
	run := d.queued
	if !d.running {
		d.running = true
		go d.runRefreshes(context.WithoutCancel(ctx))
	}
	d.runMu.Unlock()
	select {
	case <-run.done:
		return run.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runRefreshes syncs for the queued run until none is queued.
func (d *Directory) runRefreshes(ctx context.Context) {
	for {
		d.runMu.Lock()
		run := d.queued
		d.queued = nil
		if run == nil {
			d.running = false
			d.runMu.Unlock()
			return
		}
		d.runMu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, refreshTimeout)
		run.err = d.sync(rctx)
		cancel()
		close(run.done)
	}
}

// sync applies every change in the feed since the last sync.
func (d *Directory) sync(ctx context.Context) error {
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
			if err := d.clientChanged(ctx, ch.Key); err != nil {
				return err
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
			if err = d.Load(ctx); err == nil {
				d.buildFilterInBackground(ctx)
			}
		} else {
			err = d.Refresh(ctx)
		}
		if err != nil && !failing {
			d.logger.Warn("credential cache cannot follow the store; serving cached credentials", "err", err)
		} else if err == nil && failing {
			d.logger.Info("credential cache caught up with the store again")
		}
		failing = err != nil
		if f := d.filter.Load(); f != nil && f.full() {
			d.buildFilterInBackground(ctx)
		}
	}
}
