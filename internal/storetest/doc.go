// Package storetest is the conformance suite for gatehouse.Store: one set of
// tests that every storage backend runs (internal/sqlstore runs it on SQLite
// and, when GATEHOUSE_TEST_POSTGRES names a database, on PostgreSQL), so that
// the backends cannot drift apart.
//
// It imports "testing" from a non-test file on purpose: a backend's test
// calls Run with a function that makes a fresh, empty, migrated store.
//
// It depends only on the root package gatehouse and the standard library. It
// must not import any backend (internal/sqlstore) or other internal package.
package storetest
