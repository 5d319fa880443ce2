package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/httpapi"
	"github.com/gatehouse-dev/gatehouse/internal/keyrotation"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/metrics"
	"github.com/gatehouse-dev/gatehouse/internal/revfeed"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// Main is a running Gatehouse server.
type Main struct {
	Config Config
	Logger *slog.Logger
	// Stderr receives the one-time first-start notice (operator password).
	Stderr io.Writer
	Now    func() time.Time
	Rand   io.Reader

	store     *sqlstore.Store
	dir       *cache.Directory
	masterKey *masterkey.Keyring
	issuer    *tokens.Issuer
	rotator   *keyrotation.Rotator // signing-key rotation (keyrotation.go)
	feed      *revfeed.Hub         // the revocation feed's state
	service   *manage.Service      // administration, shared by every front end
	listener  net.Listener
	http      *http.Server
	// metricsListener and metricsHTTP serve /metrics when it has its own
	// address (metrics.go).
	metricsListener net.Listener
	metricsHTTP     *http.Server
	publicURL       string
	cancel          context.CancelFunc
	wg              sync.WaitGroup

	// protection guards the token endpoint (protection.go).
	protection *protection
}

// New returns a server for cfg; Defaults is applied to cfg.
func New(cfg Config, logger *slog.Logger) *Main {
	cfg.Defaults()
	return &Main{Config: cfg, Logger: logger, Stderr: os.Stderr, Now: time.Now, Rand: rand.Reader}
}

// Migrate opens the database and applies pending migrations.
func Migrate(ctx context.Context, cfg Config) error {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	return store.Migrate(ctx)
}

// pingTimeout bounds the first contact with the database at start.
const pingTimeout = 10 * time.Second

// openStore opens the database and checks that it answers, so that an
// unreachable server is reported as such rather than as a failed migration.
func openStore(ctx context.Context, cfg Config, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	if strings.HasPrefix(cfg.Database, "sqlite:") {
		if err := checkDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if err := privateDatabaseFiles(cfg.Database); err != nil {
		return nil, err
	}
	store, err := sqlstore.OpenWithTimeouts(ctx, cfg.Database, sqlstore.Timeouts{
		ConnectTimeout: cfg.DatabaseConnectTimeout, StatementTimeout: cfg.DatabaseStatementTimeout,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactDSN(cfg.Database), err)
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := store.Ping(pctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("database %s is unreachable: %w", redactDSN(cfg.Database), err)
	}
	return store, nil
}

// checkDataDir creates the data directory if needed and checks that the
// server can list it and write in it, so that a directory it may not use is
// reported with its path before anything is written.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s: %w", dir, pathError(err))
	}
	if _, err := os.ReadDir(dir); err != nil {
		return fmt.Errorf("data directory %s cannot be read: %w", dir, pathError(err))
	}
	f, err := os.CreateTemp(dir, ".write-check-")
	if err != nil {
		return fmt.Errorf("data directory %s cannot be written: %w", dir, pathError(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// pathError is the reason of a file-system error without the path, which
// the caller names.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Open prepares the server. Everything that can be checked without writing
// is checked first (the configuration, the data directory, the listen
// addresses, the database), so that a mistake is reported before the first
// start writes master.key or the database or prints the operator password;
// then it migrates, provisions and loads the cache. After Open, Addr and
// PublicURL are known; Run serves. A failed Open releases what it took.
func (m *Main) Open(ctx context.Context) (err error) {
	if err := m.Config.Validate(); err != nil {
		return err
	}
	if err := checkDataDir(m.Config.DataDir); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			m.release()
		}
	}()
	if err := m.listen(); err != nil {
		return err
	}
	m.warnIfDataDirIsShared()
	store, err := openStore(ctx, m.Config)
	if err != nil {
		return err
	}
	m.store = store
	if err := m.loadMasterKey(); err != nil {
		return err
	}
	// Signing keys' private keys are sealed under the master key in the
	// database (docs/security.md).
	store = store.SealingKeysWith(m.masterKey.Sealer(signingKeyPurpose, m.Rand))
	m.store = store
	if err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if n, err := store.ResealSigningKeys(ctx); err != nil {
		return fmt.Errorf("seal signing keys under the master key: %w", err)
	} else if n > 0 {
		m.Logger.Info("sealed signing keys under the current master key", "keys", n, "master_key_id", m.masterKey.Current().String())
	}
	if m.protection, err = m.openProtection(); err != nil {
		return err
	}
	mailer, err := m.Config.SMTP.mailer()
	if err != nil {
		return err
	}
	m.service = manage.New(manage.Config{
		Store: store, Rand: m.Rand, Now: m.Now, Logger: m.Logger, MasterKey: m.masterKey,
		Refresh: m.refreshCache, PublicURL: m.publicURL, Mailer: mailer,
		// Reveal re-enters a password, so the sign-in lockout limits apply
		// to it too (with counts of their own).
		RevealLockout: manage.RevealLockout{
			UserFailures: m.Config.Dashboard.Lockout.AccountFailures, AddressFailures: m.Config.Dashboard.Lockout.AddressFailures,
			Window: m.Config.Dashboard.Lockout.Window,
		},
	})
	if err := m.bootstrap(ctx); err != nil {
		return fmt.Errorf("first-start bootstrap: %w", err)
	}
	m.dir = cache.New(cache.Config{Store: store, Now: m.Now, Logger: m.Logger, ClientCacheSize: m.Config.ClientCacheSize})
	metrics.RegisterClientCache(m.protection.registry, func() metrics.ClientCache {
		s := m.dir.ClientCacheStats()
		return metrics.ClientCache{
			Entries: s.Entries, Capacity: s.Capacity, Evictions: s.Evictions,
			ReadsFound: s.StoreReadsFound, ReadsAbsent: s.StoreReadsAbsent, ReadsFailed: s.StoreReadsFailed,
			Filtered: s.Filtered, KnownAbsent: s.KnownAbsent,
		}
	})
	if err := m.dir.Load(ctx); err != nil {
		return fmt.Errorf("load credentials: %w", err)
	}
	exempt, _ := parseNetworks("exempt network", m.Config.Protection.ExemptNetworks) // checked by Validate
	m.listener = m.limitConnections(m.listener, append(exempt, m.protection.proxies.Trusted...))
	memo, err := gatehouse.NewSecretMemo(m.Rand, 0)
	if err != nil {
		return err
	}
	memo.SetSlowHashGate(m.protection.slowHash)
	m.issuer = tokens.NewIssuer(tokens.Config{
		Directory: m.dir, Store: store, IssuerURL: m.IssuerURL,
		Now: m.Now, Rand: m.Rand, Logger: m.Logger, MaxStaleness: m.Config.CacheMaxStaleness,
		MasterKey: m.masterKey, Guard: m.protection.guard, BearerLifetime: m.Config.AdminTokenLifetime,
		SecretMemo: memo, Rehash: m.service.RehashImportedSecret,
	})
	m.rotator = m.newKeyRotator()
	admin := adminapi.New(adminapi.Config{
		KeyRotator:   m.rotator,
		Store:        store,
		Service:      m.service,
		Authenticate: m.authenticateAdmin,
		Refresh:      m.dir.Refresh,
		IssuerURL:    m.IssuerURL,
		Rand:         m.Rand,
		Now:          m.Now,
		Logger:       m.Logger,
		MasterKey:    m.masterKey,
		Audit:        store,
		Bans:         m.protection.bans,
	})
	m.feed = revfeed.New(revfeed.Config{Source: m.dir, Now: m.Now})
	dialects, err := m.Config.Dialects.dialects()
	if err != nil {
		return err
	}
	var ui http.Handler // nil when the dashboard is off
	if d, err := m.openDashboard(dialects); err != nil {
		return err
	} else if d != nil {
		ui = d
	}
	metricsHandler := m.metricsHandler(m.protection.metrics)
	if m.metricsListener != nil {
		m.metricsHTTP = m.metricsServer(metricsHandler)
		metricsHandler = nil // not on the main address
	}
	m.http = &http.Server{
		Handler: httpapi.New(httpapi.Config{
			Issuer: m.issuer, Admin: admin, Ping: storageReady(store), Logger: m.Logger, Dialects: dialects,
			Proxies: m.protection.proxies, Metrics: metricsHandler, Dashboard: ui,
			RevocationFeed: httpapi.RevocationFeed{Hub: m.feed},
		}),
		ReadHeaderTimeout: m.Config.Connections.ReadHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       m.Config.Connections.IdleTimeout,
		MaxHeaderBytes:    m.Config.Connections.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	return nil
}

// refreshCache makes the credential cache see committed changes at once;
// before the cache is loaded (first-start bootstrap) there is nothing to do.
func (m *Main) refreshCache(ctx context.Context) error {
	if m.dir == nil {
		return nil
	}
	return m.dir.Refresh(ctx)
}

// Service is the administration service (known after Open): what the admin
// API and the dashboard call to change clients, accounts, environments and
// users.
func (m *Main) Service() *manage.Service { return m.service }

// WaitRehashes waits for the re-hashes of imported secrets under way.
func (m *Main) WaitRehashes() { m.issuer.WaitRehashes() }

// listen binds the listen address (and the metrics address, if separate)
// and sets the public URL.
func (m *Main) listen() error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	if a := m.Config.Metrics.Listen; a != "" {
		if m.metricsListener, err = net.Listen("tcp", a); err != nil {
			return fmt.Errorf("listen on %s for metrics: %w", a, err)
		}
	}
	m.publicURL = strings.TrimSuffix(m.Config.PublicURL, "/")
	if m.publicURL == "" {
		m.publicURL = "http://" + ln.Addr().String()
	}
	return nil
}

// MetricsAddr is the address /metrics is served on when it has its own
// (known after Open), "" otherwise.
func (m *Main) MetricsAddr() string {
	if m.metricsListener == nil {
		return ""
	}
	return m.metricsListener.Addr().String()
}

// IssuerURL returns the issuer of an environment: {public_url}/realms/{env}.
func (m *Main) IssuerURL(env string) string { return m.publicURL + "/realms/" + env }

// Addr is the address the server listens on (known after Open).
func (m *Main) Addr() string { return m.listener.Addr().String() }

// PublicURL is the server's public base URL (known after Open).
func (m *Main) PublicURL() string { return m.publicURL }

// AdminKeyFile is where the first start wrote the admin API key.
func (m *Main) AdminKeyFile() string { return adminKeyPath(m.Config.DataDir) }

func (m *Main) authenticateAdmin(r *http.Request) (*gatehouse.Principal, error) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		cred = "" // refused by AuthenticateBearer, which checks bans and audits the refusal
	}
	return m.issuer.AuthenticateBearer(gatehouse.EnvAdmin, strings.TrimSpace(cred), httpapi.RemoteIP(r))
}

// Run serves until ctx ends, then stops gracefully: in-flight requests get
// ShutdownTimeout to finish.
func (m *Main) Run(ctx context.Context) error {
	if m.http == nil {
		if err := m.Open(ctx); err != nil {
			return err
		}
	}
	bg, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(3)
	go func() { defer m.wg.Done(); m.dir.Watch(bg, m.Config.CachePoll) }()
	go func() {
		// Start-up does not wait for the scan of every client id; until it
		// ends, ids not in memory are looked up in the store.
		defer m.wg.Done()
		if err := m.dir.BuildFilter(bg); err != nil && bg.Err() == nil {
			m.Logger.Warn("cannot build the filter of client ids; unknown ids are looked up in the store", "err", err)
		}
	}()
	go func() { defer m.wg.Done(); m.housekeeping(bg) }()
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.feed.Run(bg) }()
	m.http.RegisterOnShutdown(m.feed.Close) // feed streams end, so Shutdown need not wait for them
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.rotateSigningKeys(bg) }()
	m.protection.start(bg)

	m.Logger.Info("gatehouse is serving", "addr", m.Addr(), "public_url", m.publicURL, "database", m.store.Dialect())
	errc := make(chan error, 2)
	go func() { errc <- m.http.Serve(m.listener) }()
	if m.metricsHTTP != nil {
		m.Logger.Info("serving /metrics on its own address", "addr", m.MetricsAddr())
		go func() { errc <- m.metricsHTTP.Serve(m.metricsListener) }()
	}
	select {
	case err := <-errc:
		m.stopBackground()
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	m.Logger.Info("stopping: finishing in-flight requests", "timeout", m.Config.ShutdownTimeout)
	sctx, scancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer scancel()
	err := m.http.Shutdown(sctx)
	if m.metricsHTTP != nil {
		err = errors.Join(err, m.metricsHTTP.Shutdown(sctx))
	}
	m.stopBackground()
	return err
}

func (m *Main) stopBackground() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	// Re-hashes of imported secrets write to the store (each bounded in
	// time): let them finish before the store closes.
	if m.issuer != nil {
		m.issuer.WaitRehashes()
	}
}

// housekeeping prunes what no longer matters: changes older than an hour,
// and records of revoked and reusable tokens that have expired.
func (m *Main) housekeeping(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := m.Now()
		if err := m.store.DeleteChanges(ctx, now.Add(-time.Hour)); err != nil {
			m.Logger.Warn("prune change feed", "err", err)
		}
		if err := m.store.DeleteExpiredRevocations(ctx, now); err != nil {
			m.Logger.Warn("prune revoked tokens", "err", err)
		}
		if err := m.store.DeleteExpiredCredentialRevocations(ctx, now); err != nil {
			m.Logger.Warn("prune revoked credentials", "err", err)
		}
		if err := m.store.DeleteExpiredReusableTokens(ctx, now); err != nil {
			m.Logger.Warn("prune reusable tokens", "err", err)
		}
		if err := m.store.DeleteExpiredAssertions(ctx, now); err != nil {
			m.Logger.Warn("prune used client assertions", "err", err)
		}
		m.pruneDashboard(ctx, now)
		if err := m.store.DeleteOldIdempotencyKeys(ctx, now.Add(-adminapi.IdempotencyTTL)); err != nil {
			m.Logger.Warn("prune admin API idempotency keys", "err", err)
		}
	}
}

// Close releases what Open acquired. Call it after Run returns.
func (m *Main) Close() error {
	m.stopBackground()
	return m.release()
}

// release closes the listeners, the protection's connections and the
// store, once each.
func (m *Main) release() error {
	var errs []error
	for _, ln := range []*net.Listener{&m.listener, &m.metricsListener} {
		if *ln != nil {
			if err := (*ln).Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	if m.protection != nil {
		errs = append(errs, m.protection.close())
		m.protection = nil
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
		m.store = nil
	}
	return errors.Join(errs...)
}

// storageReady is the readiness check of the store: reachable, and able to
// write (a database whose disk is full is not ready).
func storageReady(store *sqlstore.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := store.Ping(ctx); err != nil {
			return err
		}
		return store.CheckWrites(ctx)
	}
}
