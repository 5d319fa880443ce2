package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// ReusableToken returns the client's stored token for key.
func (s *Store) ReusableToken(ctx context.Context, clientID, key string) (*gatehouse.ReusableToken, error) {
	t, err := scanReusable(s.pool().queryRow(ctx, `SELECT client_id, reuse_key, environment, sealed, issued_at, expires_at
		FROM reusable_tokens WHERE client_id = ? AND reuse_key = ?`, clientID, key))
	if err != nil {
		return nil, fmt.Errorf("load reusable token of %s: %w", clientID, notFound(err, "no reusable token for client %s", clientID))
	}
	return t, nil
}

// PutReusableToken stores t unless the client already has an unexpired
// token for the same key, and returns whichever token is stored now. The
// upsert replaces only an expired row, so of replicas racing to issue, the
// first one's token wins and the others get it back.
func (s *Store) PutReusableToken(ctx context.Context, t *gatehouse.ReusableToken) (*gatehouse.ReusableToken, error) {
	if t.ClientID == "" || t.Key == "" || len(t.Sealed) == 0 || !t.ExpiresAt.After(t.IssuedAt) {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "a reusable token needs a client, a key, a sealed token and an expiry after its issue time")
	}
	var stored *gatehouse.ReusableToken
	err := s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `INSERT INTO reusable_tokens (client_id, reuse_key, environment, sealed, issued_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (client_id, reuse_key) DO UPDATE SET
				environment = excluded.environment, sealed = excluded.sealed,
				issued_at = excluded.issued_at, expires_at = excluded.expires_at
			WHERE reusable_tokens.expires_at <= excluded.issued_at`,
			t.ClientID, t.Key, t.Environment, t.Sealed, micros(t.IssuedAt), micros(t.ExpiresAt))
		if err != nil {
			return dbError(err, "", "client not found")
		}
		stored, err = scanReusable(tx.queryRow(ctx, `SELECT client_id, reuse_key, environment, sealed, issued_at, expires_at
			FROM reusable_tokens WHERE client_id = ? AND reuse_key = ?`, t.ClientID, t.Key))
		return dbError(err, "", "")
	})
	if err != nil {
		return nil, fmt.Errorf("store reusable token of %s: %w", t.ClientID, err)
	}
	return stored, nil
}

// DeleteExpiredReusableTokens removes tokens that expired before now.
func (s *Store) DeleteExpiredReusableTokens(ctx context.Context, now time.Time) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM reusable_tokens WHERE expires_at < ?`, micros(now)); err != nil {
		return fmt.Errorf("delete expired reusable tokens: %w", dbError(err, "", ""))
	}
	return nil
}

func scanReusable(row scanner) (*gatehouse.ReusableToken, error) {
	var t gatehouse.ReusableToken
	var issued, expires int64
	if err := row.Scan(&t.ClientID, &t.Key, &t.Environment, &t.Sealed, &issued, &expires); err != nil {
		return nil, err
	}
	t.IssuedAt, t.ExpiresAt = fromMicros(issued), fromMicros(expires)
	return &t, nil
}
