// Package bans keeps the list of source addresses that may not request
// tokens for a while: IPs that failed client authentication too often
// (brute force) or kept exceeding rate limits. A banned address gets 429
// slow_down without its credentials being looked at.
//
// Two implementations share the List interface and one test suite: Memory
// (one replica; lock-free reads) and Redis (shared by every replica; keys
// expire with the ban, and a Memory copy answers while Redis is down; bans
// made while it was down are pushed to it as soon as it answers). Durable
// wraps either with a Store (the database) as the record of bans: checks
// read only the fast list, bans are saved in the background, and the fast
// list is re-filled from the record at start and every few seconds, so bans
// survive a restart of the server and a Redis restarted without its data.
// IPv4 addresses are banned one by one; IPv6 addresses by their /64, the
// block a single host or customer usually holds.
//
// It must not import net/http, database/sql or other internal packages.
package bans
