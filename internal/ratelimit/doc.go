// Package ratelimit decides whether an event (a token request, an
// authentication failure) may happen now under a GCRA limit: a sustained
// rate and a burst, per key.
//
// Two backends implement Limiter: Memory, a sharded in-process map that
// serves a single replica with no allocation on its hot path, and Redis,
// shared by every replica (through github.com/go-redis/redis_rate, whose
// GCRA runs in Redis) and falling back to a Memory limiter with a logged
// warning when Redis is unreachable, or failing closed when configured.
// Both pass one conformance suite (suite_test.go).
//
// It must not import net/http, database/sql or other internal packages.
package ratelimit
