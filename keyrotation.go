package gatehouse

import (
	"context"
	"time"
)

// SigningKeyRotationStore holds the steps of a signing-key rotation that
// must each be one transaction. A rotation creates a next key
// (CreateSigningKey with State KeyNext: a store keeps at most one next key
// per environment and answers ErrConflict to a second, so replicas rotating
// at once create one key), promotes it once it has been published long
// enough, and deletes retired keys once every token they signed has expired.
type SigningKeyRotationStore interface {
	// PromoteSigningKey makes the next key env/id active and retires every
	// other active key of env with RemoveAt retiredRemoveAt, in one
	// transaction. It is a compare-and-swap: ErrConflict if the key is no
	// longer next (another replica promoted it), ErrNotFound if there is no
	// such key.
	PromoteSigningKey(ctx context.Context, env, id string, retiredRemoveAt time.Time) error
	// DeleteRemovedSigningKeys deletes env's retired and revoked keys whose
	// RemoveAt is not after now, and returns their ids.
	DeleteRemovedSigningKeys(ctx context.Context, env string, now time.Time) ([]string, error)
	// ActivateSigningKey stores k (State KeyActive) as env's only active
	// key at once, in one transaction: a pending next key of k.Environment
	// is deleted (it never signed) and every active key is retired with
	// RemoveAt retiredRemoveAt. It returns the ids of the retired keys.
	ActivateSigningKey(ctx context.Context, k *SigningKey, retiredRemoveAt time.Time) (retired []string, err error)
	// RevokeSigningKey marks the next or retired key env/id revoked at at,
	// to be deleted at removeAt. Revoking a revoked key changes nothing.
	// ErrConflict for the active key (another must be activated first),
	// ErrNotFound if there is no such key.
	RevokeSigningKey(ctx context.Context, env, id string, at, removeAt time.Time) error
	// CancelNextSigningKey deletes env's next key id, which never signed.
	// ErrConflict if the key is not next, ErrNotFound if there is none.
	CancelNextSigningKey(ctx context.Context, env, id string) error
	// LongestClientTokenLifetime returns the longest token lifetime that a
	// client of env (whatever its status) sets for itself, zero if none
	// sets one. It is one indexed read, not a read of every client: an
	// environment may hold millions, and a rotation must not wait on them.
	LongestClientTokenLifetime(ctx context.Context, env string) (time.Duration, error)
}
