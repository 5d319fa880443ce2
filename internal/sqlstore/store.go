package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/gatehouse-dev/gatehouse"
)

// Store is gatehouse.Store on SQLite or PostgreSQL. It is safe for concurrent
// use. Open it with Open, create or update its schema with Migrate.
type Store struct {
	db      *sql.DB
	dialect *dialect
	now     func() time.Time
	// tx, when set, is the transaction every statement of this Store runs
	// in: InTx hands its callback such a Store.
	tx     *sql.Tx
	sealer KeySealer    // seals signing keys' private keys; nil writes them in the clear
	health *writeHealth // whether writes succeed (CheckWrites)
	reads  *clientReads // connections and statement of client reads (clientread.go)
}

// KeySealer encrypts the private keys of signing keys at rest
// (internal/masterkey's Sealer): whoever reads the database, a backup or a
// stray copy of the file learns no key that signs tokens.
type KeySealer interface {
	// Seal encrypts plaintext bound to aad (the key's environment and id).
	Seal(plaintext, aad []byte) ([]byte, error)
	// Open decrypts what Seal returned for the same aad.
	Open(sealed, aad []byte) ([]byte, error)
	// Sealed tells sealed data from plaintext written before sealing began.
	Sealed(data []byte) bool
	// Current reports whether sealed data was sealed under the current
	// master key.
	Current(sealed []byte) bool
}

// Option configures a Store at Open.
type Option func(*Store)

// WithKeySealer seals signing keys' private keys with k: they are written
// sealed and opened when read. Keys written in the clear before are read
// as they are until ResealSigningKeys seals them.
func WithKeySealer(k KeySealer) Option { return func(s *Store) { s.sealer = k } }

// SealingKeysWith returns the store, on the same database connections,
// sealing signing keys with k (as WithKeySealer does at Open), for a caller
// that opens the database before it has the master key.
func (s *Store) SealingKeysWith(k KeySealer) *Store {
	c := *s
	c.sealer = k
	return &c
}

var _ gatehouse.Store = (*Store)(nil)

// sqlitePragmas are applied to every SQLite connection: WAL so that readers
// do not block the writer, a busy timeout so that another process holding the
// lock (say `gatehouse migrate` next to `serve`) makes us wait rather than
// fail, foreign keys enforced, and BEGIN IMMEDIATE so that a transaction takes
// the write lock at its start instead of failing to upgrade a read lock.
// secure_delete overwrites deleted and replaced content with zeros, so that
// a secret removed or sealed in place does not linger in free space.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=secure_delete(1)&_txlock=immediate"

// Open opens the database named by dsn: "sqlite://PATH" (or "sqlite:PATH";
// "sqlite::memory:" for a private in-memory database) or "postgres://..." /
// "postgresql://..." (any connection string pgx accepts in URL form). It does
// not create or update the schema; call Migrate for that.
//
// A SQLite file is opened at once, so a bad path fails here. A PostgreSQL
// server is not contacted until the first query, so that a server started
// before its database recovers once the database is back.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	return OpenWithTimeouts(ctx, dsn, Timeouts{}, opts...)
}

// OpenWithTimeouts is Open with connect and statement timeouts other than
// the defaults.
func OpenWithTimeouts(ctx context.Context, dsn string, timeouts Timeouts, opts ...Option) (*Store, error) {
	timeouts.defaults()
	var s *Store
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		s, err = openSQLite(ctx, dsn)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(dsn, timeouts)
	default:
		return nil, unsupportedScheme(dsn)
	}
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func unsupportedScheme(dsn string) error {
	scheme, _, ok := strings.Cut(dsn, ":")
	if !ok || strings.ContainsAny(scheme, "/@?") {
		scheme = ""
	}
	return fmt.Errorf("unsupported database URL scheme %q: use sqlite://PATH or postgres://USER@HOST/DB", scheme)
}

// SQLiteFile returns the file a "sqlite:" database URL names, without its
// parameters; ok is false for other URLs and in-memory databases.
func SQLiteFile(dsn string) (path string, ok bool) {
	if !strings.HasPrefix(dsn, "sqlite:") {
		return "", false
	}
	path = strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimPrefix(path, "file:")
	if path == "" || strings.HasPrefix(path, ":memory:") {
		return "", false
	}
	return path, true
}

func openSQLite(ctx context.Context, dsn string) (*Store, error) {
	path := strings.TrimPrefix(dsn, "sqlite:")
	path = strings.TrimPrefix(path, "//")
	if path == "" || strings.HasPrefix(path, "?") {
		return nil, errors.New("sqlite database URL names no file: use sqlite://PATH")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", path+sep+sqlitePragmas)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	// One connection: SQLite has one writer at a time anyway, and database/sql
	// then queues writers in Go instead of letting them collide on the file
	// lock (SQLITE_BUSY). It also keeps a ":memory:" database alive and
	// shared. Reads of single clients, the one read a server makes per
	// request of a client it has not cached, have a read-only pool of their
	// own (clientread.go).
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, dialect: sqliteDialect(), now: time.Now, health: &writeHealth{}, reads: &clientReads{db: db}}
	if err := s.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	if _, ok := SQLiteFile(dsn); ok {
		if s.reads, err = openSQLiteReaders(path); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

func openPostgres(dsn string, timeouts Timeouts) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres database URL: %w", err)
	}
	timeouts.apply(&cfg.Config)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(5)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	return &Store{db: db, dialect: postgresDialect(), now: time.Now, health: &writeHealth{}, reads: &clientReads{db: db}}, nil
}

// Dialect returns "sqlite" or "postgres", for logs.
func (s *Store) Dialect() string { return s.dialect.name }

// Ping reports whether the database is reachable; the error wraps
// gatehouse.ErrUnavailable when it is not.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", s.dialect.name, dbError(err, "", ""))
	}
	return nil
}

// Close closes the database. A Store bound to a transaction (see InTx)
// leaves it open: the Store it came from owns it.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	return errors.Join(s.reads.close(), s.db.Close())
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs the package's SQL, written with ? placeholders, on a database or
// a transaction in the store's dialect.
type conn struct {
	q       querier
	dialect *dialect
	health  *writeHealth // notes writes refused for want of space
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := c.q.ExecContext(ctx, c.dialect.rebind(query), args...)
	c.health.note(err)
	return res, err
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.dialect.rebind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.dialect.rebind(query), args...)
}

// pool returns a conn for statements outside a transaction, or in the
// transaction the Store is bound to.
func (s *Store) pool() conn {
	if s.tx != nil {
		return conn{q: s.tx, dialect: s.dialect, health: s.health}
	}
	return conn{q: s.db, dialect: s.dialect, health: s.health}
}

// inTx runs fn in a transaction and commits it if fn returns nil. On SQLite
// fn must not use s.pool(): the one connection is the transaction's. In a
// Store bound to a transaction, fn runs in that one, which commits or rolls
// back as a whole.
func (s *Store) inTx(ctx context.Context, fn func(tx conn) error) error {
	if s.tx != nil {
		return fn(conn{q: s.tx, dialect: s.dialect, health: s.health})
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err, "", "")
	}
	if err := fn(conn{q: tx, dialect: s.dialect, health: s.health}); err != nil {
		tx.Rollback()
		s.health.note(err) // a write refused for want of space
		return err
	}
	err = tx.Commit()
	s.health.note(err) // a commit refused for want of space
	if err != nil {
		return dbError(err, "", "")
	}
	return nil
}

// stamp returns t, or the current time if t is zero, in UTC at the
// microsecond precision the database keeps.
func (s *Store) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// InTx runs fn with a Store bound to one transaction, and commits it if fn
// returns nil; any error (or panic) rolls back everything fn wrote. Every
// method of the bound Store, including the ones that run their own
// transaction, runs in this one, so changes, their change-feed rows and
// their audit records commit together. Called on a bound Store, InTx runs
// fn in the transaction already open.
func (s *Store) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) (err error) {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err, "", "")
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(&Store{db: s.db, dialect: s.dialect, now: s.now, tx: tx, sealer: s.sealer, health: s.health, reads: s.reads}); err != nil {
		tx.Rollback()
		s.health.note(err) // a write refused for want of space
		return err
	}
	err = tx.Commit()
	s.health.note(err) // a commit refused for want of space
	if err != nil {
		return dbError(err, "", "")
	}
	return nil
}
