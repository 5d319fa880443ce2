package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// RevokeToken records that token t was revoked. Revoking a token twice is
// not an error and changes nothing: the first record (and its one change in
// the feed) stands. A zero RevokedAt is set to now.
func (s *Store) RevokeToken(ctx context.Context, t *gatehouse.RevokedToken) error {
	if t.ID == "" || len(t.ID) > 512 {
		return gatehouse.Errorf(gatehouse.EINVALID, "revoked token id must be 1-512 characters")
	}
	if t.ExpiresAt.IsZero() {
		return gatehouse.Errorf(gatehouse.EINVALID, "revoked token %s needs its expiry", t.ID)
	}
	if t.RevokedAt.IsZero() {
		t.RevokedAt = s.stamp(t.RevokedAt)
	}
	err := s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `INSERT INTO revoked_tokens (id, environment, client_id, expires_at, revoked_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			t.ID, t.Environment, t.ClientID, micros(t.ExpiresAt), micros(t.RevokedAt))
		if err != nil {
			return dbError(err, "", "")
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return dbError(err, "", "")
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeRevocation, t.ID)
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", t.ID, err)
	}
	return nil
}

// RevokedTokens returns the revoked tokens that expire after now, ordered by
// id.
func (s *Store) RevokedTokens(ctx context.Context, now time.Time) ([]*gatehouse.RevokedToken, error) {
	rows, err := s.pool().query(ctx, `SELECT id, environment, client_id, expires_at, revoked_at
		FROM revoked_tokens WHERE expires_at > ? ORDER BY id`, micros(now))
	if err != nil {
		return nil, fmt.Errorf("list revoked tokens: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var list []*gatehouse.RevokedToken
	for rows.Next() {
		var t gatehouse.RevokedToken
		var expires, revoked int64
		if err := rows.Scan(&t.ID, &t.Environment, &t.ClientID, &expires, &revoked); err != nil {
			return nil, fmt.Errorf("list revoked tokens: %w", dbError(err, "", ""))
		}
		t.ExpiresAt, t.RevokedAt = fromMicros(expires), fromMicros(revoked)
		list = append(list, &t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list revoked tokens: %w", dbError(err, "", ""))
	}
	return list, nil
}

// DeleteExpiredRevocations removes the records of tokens that expired before
// now. It appends nothing to the change feed: an expired token is refused
// whether or not it is on the list, so no cache needs to hear of it.
func (s *Store) DeleteExpiredRevocations(ctx context.Context, now time.Time) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM revoked_tokens WHERE expires_at < ?`, micros(now)); err != nil {
		return fmt.Errorf("delete expired revocations: %w", dbError(err, "", ""))
	}
	return nil
}
