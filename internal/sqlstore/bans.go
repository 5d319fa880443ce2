package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// SaveBan records a ban, replacing an earlier ban of its subject.
func (s *Store) SaveBan(ctx context.Context, b *gatehouse.IPBan) error {
	if b.Subject == "" || !b.ExpiresAt.After(b.CreatedAt) {
		return gatehouse.Errorf(gatehouse.EINVALID, "a ban needs a subject and an expiry after its creation")
	}
	_, err := s.pool().exec(ctx, `INSERT INTO bans (subject, reason, environment, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET reason = excluded.reason, environment = excluded.environment,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		b.Subject, b.Reason, b.Environment, micros(s.stamp(b.CreatedAt)), micros(s.stamp(b.ExpiresAt)))
	if err != nil {
		return fmt.Errorf("save ban of %s: %w", b.Subject, dbError(err, "", ""))
	}
	return nil
}

// DeleteBan removes the ban of subject and reports whether there was one.
func (s *Store) DeleteBan(ctx context.Context, subject string) (bool, error) {
	res, err := s.pool().exec(ctx, `DELETE FROM bans WHERE subject = ?`, subject)
	if err != nil {
		return false, fmt.Errorf("delete ban of %s: %w", subject, dbError(err, "", ""))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete ban of %s: %w", subject, dbError(err, "", ""))
	}
	return n > 0, nil
}

// ActiveBans returns the bans in force at now, by subject, and deletes
// those that have ended.
func (s *Store) ActiveBans(ctx context.Context, now time.Time) ([]gatehouse.IPBan, error) {
	at := micros(now.UTC())
	if _, err := s.pool().exec(ctx, `DELETE FROM bans WHERE expires_at <= ?`, at); err != nil {
		return nil, fmt.Errorf("prune ended bans: %w", dbError(err, "", ""))
	}
	rows, err := s.pool().query(ctx, `SELECT subject, reason, environment, created_at, expires_at FROM bans
		WHERE expires_at > ? ORDER BY subject`, at)
	if err != nil {
		return nil, fmt.Errorf("load bans: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var list []gatehouse.IPBan
	for rows.Next() {
		var b gatehouse.IPBan
		var created, expires int64
		if err := rows.Scan(&b.Subject, &b.Reason, &b.Environment, &created, &expires); err != nil {
			return nil, fmt.Errorf("load bans: %w", dbError(err, "", ""))
		}
		b.CreatedAt, b.ExpiresAt = fromMicros(created), fromMicros(expires)
		list = append(list, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load bans: %w", dbError(err, "", ""))
	}
	return list, nil
}
