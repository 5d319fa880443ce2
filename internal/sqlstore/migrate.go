package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrationFiles holds the schema migrations, one directory per dialect.
// A file is named NNNN_description.sql; NNNN is its version. Files are only
// ever added: an applied migration is never edited.
//
//go:embed migrations
var migrationFiles embed.FS

// migration is one schema migration.
type migration struct {
	version int64
	name    string
	sql     string
}

// migrations returns the dialect's migrations in version order.
func (d *dialect) migrations() ([]migration, error) {
	dir := path.Join("migrations", d.name)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var list []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version number", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		list = append(list, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	for i := 1; i < len(list); i++ {
		if list[i].version == list[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", list[i-1].name, list[i].name)
		}
	}
	return list, nil
}

// createMigrationsTable records which migrations have been applied.
const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL,
    applied_at BIGINT NOT NULL
)`

// Migrate brings the schema up to date: it applies, in version order, every
// embedded migration not yet recorded in schema_migrations, each in its own
// transaction together with its record. Running it again is a no-op, and
// processes running it at once (replicas starting together) apply each
// migration once: on PostgreSQL each transaction first takes an advisory
// lock, on SQLite write transactions exclude each other.
func (s *Store) Migrate(ctx context.Context) error { return s.migrateTo(ctx, math.MaxInt64) }

// migrateTo applies the migrations up to version last.
func (s *Store) migrateTo(ctx context.Context, last int64) error {
	list, err := s.dialect.migrations()
	if err != nil {
		return err
	}
	for _, m := range list {
		if m.version > last {
			break
		}
		err := s.inTx(ctx, func(tx conn) error {
			if s.dialect.lockMigrations != "" {
				if _, err := tx.exec(ctx, s.dialect.lockMigrations); err != nil {
					return dbError(err, "", "")
				}
			}
			if _, err := tx.exec(ctx, createMigrationsTable); err != nil {
				return dbError(err, "", "")
			}
			var n int
			err := tx.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n)
			if err != nil {
				return dbError(err, "", "")
			}
			if n > 0 {
				return nil // applied before
			}
			if _, err := tx.exec(ctx, m.sql); err != nil {
				return dbError(err, "", "")
			}
			_, err = tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, micros(s.now()))
			return dbError(err, "", "")
		})
		if err != nil {
			return fmt.Errorf("apply migration %s to %s database: %w", m.name, s.dialect.name, err)
		}
	}
	return nil
}
