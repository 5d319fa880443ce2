package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// RevokeClient marks the client revoked and records the revocation, in one
// transaction that also appends a client and a revocation change. Revoking a
// revoked client changes nothing. ErrNotFound if there is no such client.
func (s *Store) RevokeClient(ctx context.Context, clientID string, at time.Time) (*gatehouse.Client, error) {
	at = s.stamp(at)
	err := s.inTx(ctx, func(tx conn) error {
		var env, status string
		err := tx.queryRow(ctx, `SELECT environment, status FROM clients WHERE id = ?`, clientID).Scan(&env, &status)
		if err != nil {
			return notFound(err, "client %s not found", clientID)
		}
		if status == gatehouse.ClientRevoked {
			return nil
		}
		if _, err := tx.exec(ctx, `UPDATE clients SET status = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			gatehouse.ClientRevoked, micros(at), clientID); err != nil {
			return dbError(err, "", "")
		}
		rec := &gatehouse.RevokedCredential{Kind: gatehouse.RevokedClient, ID: clientID, Environment: env, ClientID: clientID}
		if err := s.recordRevocation(ctx, tx, rec, at); err != nil {
			return err
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeClient, clientID)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke client %s: %w", clientID, err)
	}
	return s.Client(ctx, clientID)
}

// RevokeSecret deletes one secret of a client and records its revocation,
// in one transaction that also appends a client and a revocation change.
// ErrNotFound if the client has no such secret (revoking a secret twice is
// an error: the first call deleted it).
func (s *Store) RevokeSecret(ctx context.Context, clientID string, secretID int64, at time.Time) (*gatehouse.Client, error) {
	at = s.stamp(at)
	err := s.inTx(ctx, func(tx conn) error {
		var env string
		err := tx.queryRow(ctx, `SELECT environment FROM clients WHERE id = ?`, clientID).Scan(&env)
		if err != nil {
			return notFound(err, "client %s not found", clientID)
		}
		res, err := tx.exec(ctx, `DELETE FROM client_secrets WHERE id = ? AND client_id = ?`, secretID, clientID)
		if err := mustAffect(res, err, "client %s has no secret %d", clientID, secretID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE clients SET updated_at = ?, version = version + 1 WHERE id = ?`, micros(at), clientID); err != nil {
			return dbError(err, "", "")
		}
		rec := &gatehouse.RevokedCredential{
			Kind: gatehouse.RevokedSecret, ID: gatehouse.SecretRevocationID(secretID), Environment: env, ClientID: clientID,
		}
		if err := s.recordRevocation(ctx, tx, rec, at); err != nil {
			return err
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeClient, clientID)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke secret %d of client %s: %w", secretID, clientID, err)
	}
	return s.Client(ctx, clientID)
}

// recordRevocation inserts rec, revoked at at, and appends a revocation
// change. The record lives as long as the longest token could.
func (s *Store) recordRevocation(ctx context.Context, tx conn, rec *gatehouse.RevokedCredential, at time.Time) error {
	rec.RevokedAt, rec.ExpiresAt = at, at.Add(gatehouse.MaxTokenLifetime)
	_, err := tx.exec(ctx, `INSERT INTO revoked_credentials (kind, id, environment, client_id, revoked_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING`,
		rec.Kind, rec.ID, rec.Environment, rec.ClientID, micros(rec.RevokedAt), micros(rec.ExpiresAt))
	if err != nil {
		return fmt.Errorf("record revocation: %w", dbError(err, "", ""))
	}
	return s.appendChange(ctx, tx, gatehouse.ChangeRevocation, rec.Kind+":"+rec.ID)
}

// RevokedCredentials returns the records of revoked clients and secrets that
// expire after now, in the order they were revoked.
func (s *Store) RevokedCredentials(ctx context.Context, now time.Time) ([]*gatehouse.RevokedCredential, error) {
	rows, err := s.pool().query(ctx, `SELECT kind, id, environment, client_id, revoked_at, expires_at
		FROM revoked_credentials WHERE expires_at > ? ORDER BY revoked_at, kind, id`, micros(now))
	if err != nil {
		return nil, fmt.Errorf("list revoked credentials: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var list []*gatehouse.RevokedCredential
	for rows.Next() {
		var r gatehouse.RevokedCredential
		var revoked, expires int64
		if err := rows.Scan(&r.Kind, &r.ID, &r.Environment, &r.ClientID, &revoked, &expires); err != nil {
			return nil, fmt.Errorf("list revoked credentials: %w", dbError(err, "", ""))
		}
		r.RevokedAt, r.ExpiresAt = fromMicros(revoked), fromMicros(expires)
		list = append(list, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list revoked credentials: %w", dbError(err, "", ""))
	}
	return list, nil
}

// DeleteExpiredCredentialRevocations removes the records that expired
// before now. Like expired token revocations, it appends no change.
func (s *Store) DeleteExpiredCredentialRevocations(ctx context.Context, now time.Time) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM revoked_credentials WHERE expires_at < ?`, micros(now)); err != nil {
		return fmt.Errorf("delete expired credential revocations: %w", dbError(err, "", ""))
	}
	return nil
}
