// Package cache keeps in memory what the token hot path reads: environments
// with their parsed signing keys, every unexpired revocation, and a bounded
// set of clients with their secret hashes. Clients are read from the store
// on their first request (one read per client, however many requests
// arrive together) and stay while they are used; a Bloom filter of every
// stored client id, built from an id-only scan after start, answers
// requests naming unknown ids without a store read, so the number of
// clients does not bound start-up time or memory (clients.go). A cached
// client is a compact entry, with the parts clients share interned
// (entry.go).
//
// A Directory follows the store's change feed (gatehouse.ChangeFeed), so a
// change made through the admin API of this process is visible as soon as
// Refresh returns, and a change made by another replica on the same
// database within one poll interval (250 ms by default).
//
// It must not import net/http or database/sql; it reads a gatehouse.Store.
package cache
