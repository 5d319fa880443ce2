package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse-dev/gatehouse"
)

// failure is what a database error means to the domain.
type failure int

const (
	otherFailure        failure = iota
	uniqueViolation             // a row with the same key exists
	foreignKeyViolation         // a referenced row does not exist
	unreachable                 // the database cannot be reached or is overloaded
	storageFull                 // the database has no space left to write
)

// classify tells what err from either driver means.
func classify(err error) failure {
	var sqliteErr *sqlite.Error
	var pgErr *pgconn.PgError
	var connectErr *pgconn.ConnectError
	var netErr *net.OpError
	switch {
	case errors.As(err, &sqliteErr):
		switch code := sqliteErr.Code(); code {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		default:
			switch code & 0xff { // the primary result code
			case sqlite3.SQLITE_FULL:
				return storageFull
			case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR:
				return unreachable
			}
		}
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "23505": // unique_violation
			return uniqueViolation
		case pgErr.Code == "23503": // foreign_key_violation
			return foreignKeyViolation
		case pgErr.Code == "53100": // disk_full
			return storageFull
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			pgErr.Code == "53300", // too_many_connections
			pgErr.Code == "57P01", // admin_shutdown
			pgErr.Code == "57P02", // crash_shutdown
			pgErr.Code == "57P03": // cannot_connect_now
			return unreachable
		}
	case errors.As(err, &connectErr),
		errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, context.DeadlineExceeded),
		pgconn.Timeout(err),
		pgconn.SafeToRetry(err): // failed before anything reached the server
		return unreachable
	}
	return otherFailure
}

// dbError translates err from the database into the domain's terms: a unique
// violation becomes a conflict with message conflict, a foreign-key violation
// a not-found error with message missing, and an unreachable database
// gatehouse.ErrUnavailable. The driver's error stays in the chain for logs.
// Any other error is returned as it is.
func dbError(err error, conflict, missing string) error {
	if err == nil {
		return nil
	}
	var domain *gatehouse.Error
	switch classify(err) {
	case uniqueViolation:
		if conflict == "" {
			conflict = "already exists"
		}
		domain = gatehouse.Errorf(gatehouse.ECONFLICT, "%s", conflict)
	case foreignKeyViolation:
		if missing == "" {
			missing = "a referenced object does not exist"
		}
		domain = gatehouse.Errorf(gatehouse.ENOTFOUND, "%s", missing)
	case unreachable:
		domain = gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the database is unavailable")
	case storageFull:
		return errStorageFull(err)
	default:
		return err
	}
	return fmt.Errorf("%w: %w", domain, err)
}

// notFound returns the error for a missing object, or translates err when the
// query failed for another reason.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, format, args...)
	}
	return dbError(err, "", "")
}
