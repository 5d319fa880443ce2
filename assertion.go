package gatehouse

import (
	"context"
	"time"
)

// AssertionStore remembers the client assertions (private_key_jwt, RFC 7523)
// that have been used, so that each authenticates once even when replicas
// receive the same assertion at once.
type AssertionStore interface {
	// UseAssertion records that the client used the assertion with id jti,
	// which expires at expiresAt. ErrConflict if that client's jti is already
	// recorded with an expiry after now: the assertion is a replay. A record
	// that expired before now is replaced.
	UseAssertion(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error
	// DeleteExpiredAssertions removes records of assertions that expired
	// before now.
	DeleteExpiredAssertions(ctx context.Context, now time.Time) error
}
