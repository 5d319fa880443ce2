package gatehouse

import (
	"context"
	"time"
)

// ReusableToken is a token kept so that a client asking again for the same
// scope and audience gets it back while it has lifetime left. Sealed is the token
// encrypted under a key derived from the client's secret, so the database
// alone cannot reveal it.
type ReusableToken struct {
	ClientID    string
	Key         string // what the token was issued for: scope and audience
	Environment string
	Sealed      []byte
	IssuedAt    time.Time
	ExpiresAt   time.Time
}

// ReusableTokenStore keeps reusable tokens.
type ReusableTokenStore interface {
	// ReusableToken returns the client's token for key, or ErrNotFound.
	ReusableToken(ctx context.Context, clientID, key string) (*ReusableToken, error)
	// PutReusableToken stores t unless an unexpired token for the same
	// client and key exists at t.IssuedAt; either way it returns the token
	// that is now stored, so replicas racing to issue agree on one. An
	// expired token for the key is replaced.
	PutReusableToken(ctx context.Context, t *ReusableToken) (*ReusableToken, error)
	// DeleteExpiredReusableTokens removes tokens that expired before now.
	DeleteExpiredReusableTokens(ctx context.Context, now time.Time) error
}
