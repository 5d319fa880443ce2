package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// UseAssertion records a used client assertion. The insert and the replay
// check are one statement: a row for the same client and jti that has not
// expired makes it affect nothing, which is a conflict, so that of two
// replicas receiving the same assertion exactly one succeeds. An expired row
// is overwritten.
func (s *Store) UseAssertion(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	if clientID == "" || jti == "" || len(jti) > 512 {
		return gatehouse.Errorf(gatehouse.EINVALID, "a used assertion needs a client id and a jti of at most 512 bytes")
	}
	res, err := s.pool().exec(ctx, `INSERT INTO used_assertions (client_id, jti, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE used_assertions.expires_at <= ?`,
		clientID, jti, micros(expiresAt), micros(now))
	if err != nil {
		return fmt.Errorf("record assertion of client %s: %w", clientID, dbError(err, "", ""))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("record assertion of client %s: %w", clientID, dbError(err, "", ""))
	}
	if n == 0 {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "assertion %s of client %s was already used", jti, clientID)
	}
	return nil
}

// DeleteExpiredAssertions removes records of assertions that expired before
// now.
func (s *Store) DeleteExpiredAssertions(ctx context.Context, now time.Time) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM used_assertions WHERE expires_at < ?`, micros(now)); err != nil {
		return fmt.Errorf("delete expired assertions: %w", dbError(err, "", ""))
	}
	return nil
}
