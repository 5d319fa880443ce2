// Package sqlstore is the one SQL implementation of gatehouse.Store. The same
// code runs on SQLite (modernc.org/sqlite, pure Go, for single-node installs
// and tests) and on PostgreSQL (pgx, for many replicas): queries are written
// once with ? placeholders, and the few differences between the two (the
// driver, placeholders, the change-feed lock, the migration lock) live in
// dialect.go. Schema migrations are SQL files embedded per dialect and applied
// by (*Store).Migrate, which `gatehouse migrate` and `gatehouse serve` share.
//
// Every mutation of an environment, client, signing key or revocation appends
// a row to the change feed in the same transaction, so that the in-memory
// caches of every replica can follow (see changes.go).
//
// Driver errors are translated into the domain's sentinels: a missing row
// wraps gatehouse.ErrNotFound, a unique violation gatehouse.ErrConflict, a
// foreign-key violation gatehouse.ErrNotFound, and a database that cannot be
// reached gatehouse.ErrUnavailable.
//
// It depends only on the root package gatehouse and on database drivers. It
// must not import net/http or any other internal package.
package sqlstore
