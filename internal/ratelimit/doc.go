// Package ratelimit decides whether an event (a token request, an
// authentication failure) may happen now under a GCRA limit: a sustained
// rate and a burst, per key.
//
// Two backends implement Limiter: Memory, a sharded in-process map that
// serves a single replica with no allocation on its hot path, and Redis,
// shared by every replica. The Redis limiter's GCRA is a Lua script
// (gcra.lua) run in Redis on Redis's clock; it passes an event through
// several limits (a token request's per-IP and per-client ones) in one
// round trip. It falls back to a Memory limiter with a logged warning when
// Redis is unreachable, or fails closed when configured. Both pass one
// conformance suite (suite_test.go).
//
// It must not import net/http, database/sql or other internal packages.
package ratelimit
