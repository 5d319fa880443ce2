package gatehouse

import (
	"context"
	"time"
)

// IdempotencyRecord is the stored answer to an admin API POST sent with an
// Idempotency-Key: while the request runs it is pending (Status 0); once it
// is answered it holds the answer, so that a retry with the same key gets
// the same answer without the change being made again.
type IdempotencyRecord struct {
	// Scope is the caller the key belongs to; Key the caller's key.
	Scope, Key string
	// RequestHash is the SHA-256 of the request's method, path and body: a
	// key reused for another request is refused.
	RequestHash []byte
	// Status is the answer's HTTP status, 0 while pending.
	Status int
	// Location is the answer's Location header, if any.
	Location string
	// Body is the answer's body sealed under the master key (it may hold a
	// client secret).
	Body      []byte
	CreatedAt time.Time
}

// IdempotencyStore keeps the answers of admin API POSTs by idempotency key.
type IdempotencyStore interface {
	// ReserveIdempotencyKey stores rec as pending and returns nil, or, when
	// the scope already holds the key, stores nothing and returns the
	// record that holds it.
	ReserveIdempotencyKey(ctx context.Context, rec *IdempotencyRecord) (*IdempotencyRecord, error)
	// CompleteIdempotencyKey stores the answer of a pending key in one
	// statement: a key is never answered without its body.
	CompleteIdempotencyKey(ctx context.Context, rec *IdempotencyRecord) error
	// ReleaseIdempotencyKey deletes a pending key whose request made no
	// change (it failed before committing), so that it can be retried.
	ReleaseIdempotencyKey(ctx context.Context, scope, key string) error
	// DeleteOldIdempotencyKeys removes the keys created before before.
	DeleteOldIdempotencyKeys(ctx context.Context, before time.Time) error
}
