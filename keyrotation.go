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
	// DeleteRemovedSigningKeys deletes env's retired keys whose RemoveAt is
	// not after now, and returns their ids.
	DeleteRemovedSigningKeys(ctx context.Context, env string, now time.Time) ([]string, error)
}
