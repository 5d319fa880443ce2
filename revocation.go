package gatehouse

import (
	"context"
	"strconv"
	"time"
)

// Kinds of revoked credentials.
const (
	RevokedClient = "client" // a whole client: every token issued to it
	RevokedSecret = "secret" // one secret: every token issued with it
)

// RevokedCredential records that a client, or one of its secrets, was
// revoked: every token issued to that client (or with that secret) is
// inactive from RevokedAt on. Records are kept until ExpiresAt, when every
// token that could carry the credential has expired; the list of live
// records is what a revocation feed publishes.
type RevokedCredential struct {
	Kind        string // RevokedClient or RevokedSecret
	ID          string // the client id, or the secret id in decimal
	Environment string
	ClientID    string
	RevokedAt   time.Time
	// ExpiresAt is RevokedAt plus the longest token lifetime: no token
	// issued with the credential outlives it.
	ExpiresAt time.Time
}

// SecretRevocationID returns the RevokedCredential.ID of a secret.
func SecretRevocationID(secretID int64) string { return strconv.FormatInt(secretID, 10) }

// CredentialRevocationStore revokes clients and secrets and keeps the
// records of what was revoked.
type CredentialRevocationStore interface {
	// RevokeClient marks the client revoked and records it, in one
	// transaction, and returns the stored client. Revoking a revoked client
	// changes nothing. ErrNotFound if there is no such client.
	RevokeClient(ctx context.Context, clientID string, at time.Time) (*Client, error)
	// RevokeSecret removes one secret of a client and records its
	// revocation, in one transaction, and returns the stored client.
	// ErrNotFound if the client has no such secret.
	RevokeSecret(ctx context.Context, clientID string, secretID int64, at time.Time) (*Client, error)
	// RevokedCredentials returns the records that expire after now.
	RevokedCredentials(ctx context.Context, now time.Time) ([]*RevokedCredential, error)
	// DeleteExpiredCredentialRevocations removes records that expired
	// before now.
	DeleteExpiredCredentialRevocations(ctx context.Context, now time.Time) error
}
