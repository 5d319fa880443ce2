package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/storetest"
)

// postgresEnv names the environment variable that holds the DSN of a
// PostgreSQL database the tests may create schemas in.
const postgresEnv = "GATEHOUSE_TEST_POSTGRES"

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gatehouse.Store { return newSQLiteStore(t) })
}

func TestPostgres(t *testing.T) {
	pg := newPostgresServer(t)
	storetest.Run(t, func(t *testing.T) gatehouse.Store { return pg.newStore(t) })
}

// newSQLiteStore returns a migrated store on a fresh file.
func newSQLiteStore(t *testing.T) *Store {
	t.Helper()
	s := openStore(t, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// openStore opens dsn and closes the store when t ends.
func openStore(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// postgresServer is the PostgreSQL database named by GATEHOUSE_TEST_POSTGRES.
// Each store gets a schema of its own, dropped when its test ends.
type postgresServer struct {
	dsn   string
	admin *Store
}

// newPostgresServer skips t unless GATEHOUSE_TEST_POSTGRES is set.
func newPostgresServer(t *testing.T) *postgresServer {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skipf("%s is not set; skipping PostgreSQL tests", postgresEnv)
	}
	admin := openStore(t, dsn)
	if err := admin.Ping(context.Background()); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", postgresEnv, err)
	}
	return &postgresServer{dsn: dsn, admin: admin}
}

// newSchema creates an empty schema, dropped when t ends, and returns a DSN
// whose search_path is that schema.
func (pg *postgresServer) newSchema(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "gatehouse_test_" + hex.EncodeToString(b)
	if _, err := pg.admin.db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pg.admin.db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(pg.dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// newStore returns a migrated store in a fresh schema.
func (pg *postgresServer) newStore(t *testing.T) *Store {
	t.Helper()
	s := openStore(t, pg.newSchema(t))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// dialects runs test once per dialect: SQLite always, PostgreSQL when
// GATEHOUSE_TEST_POSTGRES is set. open returns a store that is not migrated;
// stores opened twice in one test share their database.
func dialects(t *testing.T, test func(t *testing.T, open func() *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		dsn := "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db")
		test(t, func() *Store { return openStore(t, dsn) })
	})
	t.Run("postgres", func(t *testing.T) {
		pg := newPostgresServer(t)
		dsn := pg.newSchema(t)
		test(t, func() *Store { return openStore(t, dsn) })
	})
}

// appliedMigrations returns the versions recorded in schema_migrations.
func appliedMigrations(t *testing.T, s *Store) []int64 {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var list []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return list
}

func embeddedVersions(t *testing.T, d *dialect) []int64 {
	t.Helper()
	list, err := d.migrations()
	if err != nil {
		t.Fatalf("migrations: %v", err)
	}
	var versions []int64
	for _, m := range list {
		versions = append(versions, m.version)
	}
	return versions
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, open func() *Store) {
		s := open()
		t.Run("a migration run records every version", func(t *testing.T) {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			got, want := appliedMigrations(t, s), embeddedVersions(t, s.dialect)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("recorded versions %v, want %v", got, want)
			}
		})
		t.Run("migrating again is a no-op", func(t *testing.T) {
			if err := s.CreateEnvironment(ctx, &gatehouse.Environment{
				Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256, Tokens: gatehouse.DefaultTokenSettings(),
			}); err != nil {
				t.Fatalf("CreateEnvironment: %v", err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("second Migrate: %v", err)
			}
			if got, want := appliedMigrations(t, s), embeddedVersions(t, s.dialect); !slices.Equal(got, want) {
				t.Errorf("recorded versions %v, want %v", got, want)
			}
			if _, err := s.Environment(ctx, "sandbox"); err != nil {
				t.Errorf("the data did not survive a second Migrate: %v", err)
			}
		})
	})
}

func TestMigrateAtOnce(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, open func() *Store) {
		const n = 4
		stores := make([]*Store, n)
		for i := range stores {
			stores[i] = open()
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Migrate %d: %v", i, err)
			}
		}
		if got, want := appliedMigrations(t, stores[0]), embeddedVersions(t, stores[0].dialect); !slices.Equal(got, want) {
			t.Errorf("recorded versions %v, want %v", got, want)
		}
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("an unknown scheme is a clear error", func(t *testing.T) {
		for dsn, want := range map[string]string{
			"mysql://root:pw@db/gatehouse": `unsupported database URL scheme "mysql"`,
			"/var/lib/gatehouse.db":        `unsupported database URL scheme ""`,
			"":                             `unsupported database URL scheme ""`,
			"sqlite://":                    "names no file",
		} {
			s, err := Open(ctx, dsn)
			if err == nil {
				s.Close()
				t.Errorf("Open(%q) succeeded", dsn)
				continue
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Open(%q): %v; want it to say %s", dsn, err, want)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("Open(%q): the error shows the password: %v", dsn, err)
			}
		}
	})

	t.Run("a malformed PostgreSQL URL is an error", func(t *testing.T) {
		if s, err := Open(ctx, "postgres://db:notaport/x"); err == nil {
			s.Close()
			t.Errorf("Open succeeded")
		}
	})

	t.Run("a SQLite store is tuned for one writer", func(t *testing.T) {
		s := openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "gatehouse.db"))
		if s.Dialect() != "sqlite" {
			t.Errorf("Dialect is %q", s.Dialect())
		}
		for pragma, want := range map[string]string{
			"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "synchronous": "1",
		} {
			var got string
			if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", pragma, err)
			}
			if got != want {
				t.Errorf("PRAGMA %s is %s, want %s", pragma, got, want)
			}
		}
	})

	t.Run("an in-memory SQLite store works", func(t *testing.T) {
		s := openStore(t, "sqlite::memory:")
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if err := s.CreateAccount(ctx, &gatehouse.Account{Name: "Acme"}); err != nil {
			t.Fatalf("CreateAccount: %v", err)
		}
	})

	t.Run("a SQLite file that cannot be opened fails at Open", func(t *testing.T) {
		dsn := "sqlite://" + filepath.Join(t.TempDir(), "missing", "dir", "gatehouse.db")
		if s, err := Open(ctx, dsn); err == nil {
			s.Close()
			t.Fatalf("Open succeeded")
		} else if !errors.Is(err, gatehouse.ErrUnavailable) {
			t.Errorf("Open: %v; want an error matching gatehouse.ErrUnavailable", err)
		}
	})
}

func TestUnreachablePostgresIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := openStore(t, "postgres://gatehouse:secret@127.0.0.1:1/x?connect_timeout=1&sslmode=disable")
	if s.Dialect() != "postgres" {
		t.Errorf("Dialect is %q", s.Dialect())
	}
	err := s.Ping(ctx)
	if !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("Ping: %v; want an error matching gatehouse.ErrUnavailable", err)
	}
	if gatehouse.ErrorMessage(err) != "the database is unavailable" {
		t.Errorf("ErrorMessage is %q", gatehouse.ErrorMessage(err))
	}
	_, err = s.Client(ctx, "c1")
	if !errors.Is(err, gatehouse.ErrUnavailable) || errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("Client: %v; want an error matching only gatehouse.ErrUnavailable", err)
	}
	err = s.CreateEnvironment(ctx, &gatehouse.Environment{
		Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256, Tokens: gatehouse.DefaultTokenSettings(),
	})
	if !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Errorf("CreateEnvironment: %v; want an error matching gatehouse.ErrUnavailable", err)
	}
}

func TestRebind(t *testing.T) {
	pg, lite := postgresDialect(), sqliteDialect()
	for query, want := range map[string]string{
		"SELECT 1":                                  "SELECT 1",
		"SELECT a FROM t WHERE a = ? AND b > ?":     "SELECT a FROM t WHERE a = $1 AND b > $2",
		"INSERT INTO t VALUES (?, '?', ?)":          "INSERT INTO t VALUES ($1, '?', $2)",
		"UPDATE t SET a = ? WHERE b = 'it''s' OR ?": "UPDATE t SET a = $1 WHERE b = 'it''s' OR $2",
	} {
		if got := pg.rebind(query); got != want {
			t.Errorf("postgres rebind(%q) = %q, want %q", query, got, want)
		}
		if got := lite.rebind(query); got != query {
			t.Errorf("sqlite rebind(%q) = %q, want it unchanged", query, got)
		}
	}
	if n := len(strings.Fields(pg.rebind(strings.Repeat("? ", 12)))); n != 12 || !strings.HasSuffix(pg.rebind(strings.Repeat("? ", 12)), "$12 ") {
		t.Errorf("twelve placeholders rebind to %q", pg.rebind(strings.Repeat("? ", 12)))
	}
}

func TestPageLimit(t *testing.T) {
	for limit, want := range map[int]int{-1: 100, 0: 100, 1: 1, 100: 100, 500: 500, 1000: 1000, 1001: 1000, 1 << 40: 1000} {
		if got := pageLimit(limit); got != want {
			t.Errorf("pageLimit(%d) = %d, want %d", limit, got, want)
		}
	}
}
