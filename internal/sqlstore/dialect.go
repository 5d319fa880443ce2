package sqlstore

import (
	"strconv"
	"strings"
)

// Names of the supported dialects, as Dialect returns them.
const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// dialect holds everything that differs between SQLite and PostgreSQL. The
// rest of the package writes SQL once, with ? placeholders, in the subset both
// databases understand (INSERT ... RETURNING, ON CONFLICT DO NOTHING, ...).
type dialect struct {
	name string
	// numbered placeholders: ? becomes $1, $2, ... (PostgreSQL).
	numbered bool
	// lockChanges runs in a transaction just before it appends to the change
	// feed; "" when the database serialises writers anyway (SQLite).
	lockChanges string
	// lockMigrations runs first in every migration transaction, so that two
	// processes migrating at once apply each migration once; "" for SQLite,
	// whose write transactions (BEGIN IMMEDIATE) already exclude each other.
	lockMigrations string
}

// migrationLockKey is the PostgreSQL advisory lock key that serialises
// migrations: the bytes of "gatehous" as a big-endian integer.
const migrationLockKey int64 = 0x67617465686f7573

func sqliteDialect() *dialect { return &dialect{name: dialectSQLite} }

func postgresDialect() *dialect {
	return &dialect{
		name:     dialectPostgres,
		numbered: true,
		// Ids from a sequence are handed out at INSERT but become visible at
		// COMMIT, so without this a transaction holding change 9 could commit
		// after one holding change 10, and a poller that had read "everything
		// after 8" and then "everything after 10" would never see 9. EXCLUSIVE
		// mode conflicts with itself and with the ROW EXCLUSIVE lock of INSERT and
		// DELETE but not with plain SELECTs: writers of the feed take turns from
		// here to their commit, so change rows commit in id order, while readers
		// are not blocked. It is taken as the last step of a transaction, after
		// its row locks, so it adds no lock-order cycle.
		lockChanges:    "LOCK TABLE changes IN EXCLUSIVE MODE",
		lockMigrations: "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(migrationLockKey, 10) + ")",
	}
}

// rebind rewrites the ? placeholders of query into the dialect's form. The
// package's SQL has no ? inside string literals, quoted identifiers or
// comments; rebind still skips single-quoted literals to be safe.
func (d *dialect) rebind(query string) string {
	if !d.numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
