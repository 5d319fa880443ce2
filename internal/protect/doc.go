// Package protect guards the token endpoint: it implements tokens.Guard
// with IP bans (internal/bans), per-IP and per-client rate limits
// (internal/ratelimit), brute-force and flood detection that turn into
// bans, audit events and usage counters (internal/audit) and metrics
// (internal/metrics).
//
// It must not import net/http or database/sql; it reaches storage only
// through the audit recorder.
package protect
