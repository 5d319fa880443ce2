package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// CreateSession stores a new dashboard session.
func (s *Store) CreateSession(ctx context.Context, sess *gatehouse.Session) error {
	_, err := s.pool().exec(ctx, `INSERT INTO dashboard_sessions
		(id, user_id, created_at, last_seen_at, expires_at, second_factor_pending) VALUES (?, ?, ?, ?, ?, ?)`,
		sess.ID, sess.UserID, micros(s.stamp(sess.CreatedAt)), micros(s.stamp(sess.LastSeenAt)),
		micros(sess.ExpiresAt), sess.SecondFactorPending)
	if err != nil {
		return fmt.Errorf("create session of user %d: %w", sess.UserID, dbError(err,
			"a session with this id already exists", fmt.Sprintf("user %d not found", sess.UserID)))
	}
	return nil
}

// Session returns the session with id and its user.
func (s *Store) Session(ctx context.Context, id string) (*gatehouse.Session, *gatehouse.User, error) {
	var sess gatehouse.Session
	var u gatehouse.User
	var account sql.NullInt64
	var created, seen, expires, userCreated int64
	err := s.pool().queryRow(ctx, `SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
			s.second_factor_pending, u.id, u.email, u.password_hash, u.account_id, u.role, u.operator,
			u.disabled, u.created_at
		FROM dashboard_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, id).
		Scan(&sess.ID, &sess.UserID, &created, &seen, &expires, &sess.SecondFactorPending,
			&u.ID, &u.Email, &u.PasswordHash, &account, &u.Role, &u.Operator, &u.Disabled, &userCreated)
	if err != nil {
		return nil, nil, fmt.Errorf("load session: %w", notFound(err, "session not found"))
	}
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	u.AccountID, u.CreatedAt = account.Int64, fromMicros(userCreated)
	return &sess, &u, nil
}

// TouchSession moves the session's last activity forward to at.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool().exec(ctx, `UPDATE dashboard_sessions SET last_seen_at = ?
		WHERE id = ? AND last_seen_at < ?`, micros(s.stamp(at)), id, micros(s.stamp(at)))
	if err != nil {
		return fmt.Errorf("touch session: %w", dbError(err, "", ""))
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM dashboard_sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete session: %w", dbError(err, "", ""))
	}
	return nil
}

// DeleteUserSessions ends every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	res, err := s.pool().exec(ctx, `DELETE FROM dashboard_sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, dbError(err, "", ""))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, dbError(err, "", ""))
	}
	return int(n), nil
}

// DeleteExpiredSessions removes sessions past their absolute end.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM dashboard_sessions WHERE expires_at < ?`, micros(now)); err != nil {
		return fmt.Errorf("delete expired sessions: %w", dbError(err, "", ""))
	}
	return nil
}

// AddSignInFailure counts a failed sign-in of subject in one statement, so
// that concurrent failures on any replica are all counted.
func (s *Store) AddSignInFailure(ctx context.Context, subject string, at time.Time, window time.Duration) (int, time.Time, error) {
	now := micros(s.stamp(at))
	cutoff := now - window.Microseconds()
	var count, start int64
	err := s.pool().queryRow(ctx, `INSERT INTO sign_in_failures (subject, window_start, count) VALUES (?, ?, 1)
		ON CONFLICT (subject) DO UPDATE SET
			count = CASE WHEN sign_in_failures.window_start <= ? THEN 1 ELSE sign_in_failures.count + 1 END,
			window_start = CASE WHEN sign_in_failures.window_start <= ? THEN ? ELSE sign_in_failures.window_start END
		RETURNING count, window_start`, subject, now, cutoff, cutoff, now).Scan(&count, &start)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failed sign-in: %w", dbError(err, "", ""))
	}
	return int(count), fromMicros(start), nil
}

// SignInFailures returns the failures of subject in the open window.
func (s *Store) SignInFailures(ctx context.Context, subject string, at time.Time, window time.Duration) (int, time.Time, error) {
	var count, start int64
	err := s.pool().queryRow(ctx, `SELECT count, window_start FROM sign_in_failures WHERE subject = ?`, subject).
		Scan(&count, &start)
	if err == sql.ErrNoRows {
		return 0, time.Time{}, nil
	} else if err != nil {
		return 0, time.Time{}, fmt.Errorf("read failed sign-ins: %w", dbError(err, "", ""))
	}
	if start <= micros(s.stamp(at))-window.Microseconds() {
		return 0, time.Time{}, nil
	}
	return int(count), fromMicros(start), nil
}

// ClearSignInFailures forgets the failures of subject.
func (s *Store) ClearSignInFailures(ctx context.Context, subject string) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM sign_in_failures WHERE subject = ?`, subject); err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", dbError(err, "", ""))
	}
	return nil
}

// DeleteOldSignInFailures removes counters whose window started before
// before.
func (s *Store) DeleteOldSignInFailures(ctx context.Context, before time.Time) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM sign_in_failures WHERE window_start < ?`, micros(before)); err != nil {
		return fmt.Errorf("delete old sign-in failures: %w", dbError(err, "", ""))
	}
	return nil
}
