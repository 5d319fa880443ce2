package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

var _ gatehouse.IdempotencyStore = (*Store)(nil)

// ReserveIdempotencyKey stores rec as pending, or returns the record that
// already holds its key.
func (s *Store) ReserveIdempotencyKey(ctx context.Context, rec *gatehouse.IdempotencyRecord) (*gatehouse.IdempotencyRecord, error) {
	res, err := s.pool().exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (scope, key) DO NOTHING`, rec.Scope, rec.Key, rec.RequestHash, micros(s.stamp(rec.CreatedAt)))
	if err != nil {
		return nil, fmt.Errorf("reserve idempotency key: %w", dbError(err, "", ""))
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("reserve idempotency key: %w", err)
	} else if n == 1 {
		return nil, nil
	}
	got := &gatehouse.IdempotencyRecord{Scope: rec.Scope, Key: rec.Key}
	var created int64
	err = s.pool().queryRow(ctx, `SELECT request_hash, status, location, body, created_at FROM idempotency_keys
		WHERE scope = ? AND key = ?`, rec.Scope, rec.Key).Scan(&got.RequestHash, &got.Status, &got.Location, &got.Body, &created)
	if err == sql.ErrNoRows {
		// Released or pruned between the two statements: the caller tries
		// again with a fresh request.
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "the idempotency key changed hands; try again")
	} else if err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", dbError(err, "", ""))
	}
	got.CreatedAt = fromMicros(created)
	return got, nil
}

// CompleteIdempotencyKey stores the answer of a pending key.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, rec *gatehouse.IdempotencyRecord) error {
	res, err := s.pool().exec(ctx, `UPDATE idempotency_keys SET status = ?, location = ?, body = ?
		WHERE scope = ? AND key = ? AND status = 0`, rec.Status, rec.Location, rec.Body, rec.Scope, rec.Key)
	if err != nil {
		return fmt.Errorf("store idempotent answer: %w", dbError(err, "", ""))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store idempotent answer: %w", err)
	} else if n != 1 {
		return fmt.Errorf("store idempotent answer: %w", gatehouse.ErrNotFound)
	}
	return nil
}

// ReleaseIdempotencyKey deletes a pending key.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = 0`, scope, key); err != nil {
		return fmt.Errorf("release idempotency key: %w", dbError(err, "", ""))
	}
	return nil
}

// DeleteOldIdempotencyKeys removes the keys created before before.
func (s *Store) DeleteOldIdempotencyKeys(ctx context.Context, before time.Time) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, micros(before)); err != nil {
		return fmt.Errorf("delete old idempotency keys: %w", dbError(err, "", ""))
	}
	return nil
}
