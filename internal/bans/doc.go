// Package bans keeps the list of source addresses that may not request
// tokens for a while: IPs that failed client authentication too often
// (brute force) or kept exceeding rate limits. A banned address gets 429
// slow_down without its credentials being looked at.
//
// Two implementations share the List interface and one test suite: Memory
// (one replica; lock-free reads) and Redis (shared by every replica; keys
// expire with the ban, and a Memory copy answers while Redis is down).
// IPv4 addresses are banned one by one; IPv6 addresses by their /64, the
// block a single host or customer usually holds.
//
// It must not import net/http, database/sql or other internal packages.
package bans
