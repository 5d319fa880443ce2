// Package cache keeps in memory what the token hot path reads: environments
// with their parsed signing keys, clients with their secret hashes, and
// revoked token ids. A Directory loads everything at start and then follows
// the store's change feed (gatehouse.ChangeFeed), so a change made through
// the admin API of this process is visible as soon as Refresh returns, and a
// change made by another replica on the same database within one poll
// interval (250 ms by default).
//
// It must not import net/http or database/sql; it reads a gatehouse.Store.
package cache
