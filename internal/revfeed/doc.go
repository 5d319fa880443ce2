// Package revfeed turns the credential cache's state into the revocation
// feed: per environment, a sequence of events that name revoked tokens,
// clients and secrets and signing keys that were retired or left the JWKS.
// Resource servers (the public verify package, the gateway) follow it so
// that a revocation is enforced within a second without a call per request.
//
// Event ids are positions in the store's change feed. An event with id N
// carries everything revoked by changes up to N (and possibly later ones),
// so a follower that resumes from N and receives every later event misses
// nothing. When the requested id is older than the events this process
// keeps, the follower gets a full snapshot of the unexpired revocations
// instead. The wire format is described in docs/revocation-feed.md; the
// HTTP endpoint lives in internal/httpapi.
//
// It must not import net/http or database/sql; it reads an
// internal/cache.Directory through the Source interface.
package revfeed
