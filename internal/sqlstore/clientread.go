package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/gatehouse-dev/gatehouse"
)

// Reading one client by id is what a replica does for every request of a
// client it has not cached, so it is one statement (the client joined with
// its secrets), prepared once and reused, run on connections of its own:
// on SQLite a pool of read-only connections, which WAL lets read while the
// one writing connection writes, so that concurrent reads of different
// clients run in parallel and never queue behind a write.

// clientByIDQuery selects a client and its secrets, oldest first: one row per
// secret, or one row with NULL secret columns for a client without secrets.
var clientByIDQuery = `SELECT ` + prefixColumns("c.", clientColumns) + `,
	s.id, s.hash, s.created_at, s.expires_at, s.sealed, s.imported_hash
	FROM clients c LEFT JOIN client_secrets s ON s.client_id = c.id
	WHERE c.id = ? ORDER BY s.id`

// prefixColumns returns the comma-separated column list with each name
// prefixed by p (a table alias and a dot).
func prefixColumns(p, columns string) string {
	names := strings.Split(columns, ",")
	for i, n := range names {
		names[i] = p + strings.TrimSpace(n)
	}
	return strings.Join(names, ", ")
}

// clientReads holds the connections and the prepared statement of client
// reads. It is shared by the copies of a Store (SealingKeysWith).
type clientReads struct {
	db  *sql.DB // the read-only pool (SQLite files) or the store's own pool
	own bool    // db was opened for reads and is closed with the store

	mu   sync.Mutex
	stmt *sql.Stmt
}

// sqliteReaderPragmas are applied to the read-only SQLite connections: the
// busy timeout of the writer's, and query_only, so that nothing run on them
// can write.
const sqliteReaderPragmas = "_pragma=busy_timeout(5000)&_pragma=query_only(1)"

// openSQLiteReaders opens the pool of read-only connections on the SQLite
// database at path (a file; an in-memory database has one connection and
// is read through it). It has as many connections as the process has
// processors, at least two.
func openSQLiteReaders(path string) (*clientReads, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", path+sep+sqliteReaderPragmas)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database for reads: %w", err)
	}
	n := max(runtime.GOMAXPROCS(0), 2)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return &clientReads{db: db, own: true}, nil
}

// statement returns the prepared client read, preparing it on first use
// (and again after a failed attempt).
func (r *clientReads) statement(ctx context.Context, d *dialect) (*sql.Stmt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stmt != nil {
		return r.stmt, nil
	}
	stmt, err := r.db.PrepareContext(ctx, d.rebind(clientByIDQuery))
	if err != nil {
		return nil, dbError(err, "", "")
	}
	r.stmt = stmt
	return stmt, nil
}

// close releases the statement and, if it is the store's own, the pool.
func (r *clientReads) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stmt != nil {
		r.stmt.Close()
		r.stmt = nil
	}
	if r.own {
		return r.db.Close()
	}
	return nil
}

// Client returns the client with the given id and its secrets, oldest
// first, read by one statement.
func (s *Store) Client(ctx context.Context, id string) (*gatehouse.Client, error) {
	c, err := s.readClient(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load client %s: %w", id, err)
	}
	return c, nil
}

func (s *Store) readClient(ctx context.Context, id string) (*gatehouse.Client, error) {
	var rows *sql.Rows
	var err error
	if s.tx != nil {
		// In a transaction: its connection, which sees its own writes.
		rows, err = s.pool().query(ctx, clientByIDQuery, id)
	} else {
		var stmt *sql.Stmt
		if stmt, err = s.reads.statement(ctx, s.dialect); err != nil {
			return nil, err
		}
		rows, err = stmt.QueryContext(ctx, id)
	}
	if err != nil {
		return nil, dbError(err, "", "")
	}
	defer rows.Close()
	var sc clientScan
	var sec secretScan
	var c *gatehouse.Client
	dest := append(sc.dest(), sec.dest()...)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, dbError(err, "", "")
		}
		if c == nil {
			if c, err = sc.client(); err != nil {
				return nil, err
			}
		}
		if sec.id.Valid {
			s, err := sec.secret()
			if err != nil {
				return nil, err
			}
			c.Secrets = append(c.Secrets, s)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, "", "")
	}
	if c == nil {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "client %s not found", id)
	}
	return c, nil
}

// secretScan receives the columns of a secret that may be NULL (the
// client of a LEFT JOIN has no secrets).
type secretScan struct {
	id       sql.NullInt64
	hash     []byte
	created  sql.NullInt64
	expires  sql.NullInt64
	sealed   []byte
	imported sql.NullString
}

// dest returns the scan destinations of id, hash, created_at, expires_at,
// sealed and imported_hash.
func (sc *secretScan) dest() []any {
	return []any{&sc.id, &sc.hash, &sc.created, &sc.expires, &sc.sealed, &sc.imported}
}

// secret decodes the scanned columns.
func (sc *secretScan) secret() (gatehouse.Secret, error) {
	sec := gatehouse.Secret{ID: sc.id.Int64, Imported: sc.imported.String}
	if len(sc.hash) != sha256.Size {
		return sec, fmt.Errorf("secret %d has a %d-byte hash", sec.ID, len(sc.hash))
	}
	copy(sec.Hash[:], sc.hash)
	if len(sc.sealed) > 0 {
		sec.Sealed = sc.sealed // Scan made a copy for this row
	}
	sec.CreatedAt, sec.ExpiresAt = fromMicros(sc.created.Int64), fromNullMicros(sc.expires)
	return sec, nil
}
