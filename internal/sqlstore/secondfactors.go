package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// PutSecondFactor replaces the user's second factor with an unconfirmed one
// and deletes its recovery codes.
func (s *Store) PutSecondFactor(ctx context.Context, f *gatehouse.SecondFactor) error {
	created := micros(s.stamp(f.CreatedAt))
	err := s.inTx(ctx, func(tx conn) error {
		if _, err := tx.exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = ?`, f.UserID); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO user_second_factors (user_id, totp_secret, confirmed, last_step, created_at)
			VALUES (?, ?, ?, 0, ?)
			ON CONFLICT (user_id) DO UPDATE SET totp_secret = excluded.totp_secret, confirmed = excluded.confirmed,
				last_step = 0, created_at = excluded.created_at`, f.UserID, f.Secret, false, created)
		return err
	})
	if err != nil {
		return fmt.Errorf("store second factor of user %d: %w", f.UserID, dbError(err, "", fmt.Sprintf("user %d not found", f.UserID)))
	}
	f.Confirmed, f.LastStep = false, 0
	return nil
}

// SecondFactor returns the user's second factor.
func (s *Store) SecondFactor(ctx context.Context, userID int64) (*gatehouse.SecondFactor, error) {
	f := gatehouse.SecondFactor{UserID: userID}
	var created int64
	err := s.pool().queryRow(ctx, `SELECT totp_secret, confirmed, last_step, created_at
		FROM user_second_factors WHERE user_id = ?`, userID).Scan(&f.Secret, &f.Confirmed, &f.LastStep, &created)
	if err != nil {
		return nil, fmt.Errorf("load second factor of user %d: %w", userID, notFound(err, "user %d has no second factor", userID))
	}
	f.CreatedAt = fromMicros(created)
	return &f, nil
}

// UseTOTPStep records step as used unless it or a later one was.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.pool().exec(ctx, `UPDATE user_second_factors SET last_step = ?
		WHERE user_id = ? AND last_step < ?`, step, userID, step)
	if err != nil {
		return false, fmt.Errorf("use TOTP step: %w", dbError(err, "", ""))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use TOTP step: %w", dbError(err, "", ""))
	}
	return n == 1, nil
}

// ConfirmSecondFactor confirms the second factor with the code of step and
// stores the recovery codes, in one transaction.
func (s *Store) ConfirmSecondFactor(ctx context.Context, userID, step int64, codeHashes []string) error {
	err := s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `UPDATE user_second_factors SET confirmed = ?, last_step = ?
			WHERE user_id = ? AND last_step < ?`, true, step, userID, step)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "this code was used already or no second factor is being set up")
		}
		if _, err := tx.exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for _, h := range codeHashes {
			if _, err := tx.exec(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("confirm second factor of user %d: %w", userID, dbError(err, "", ""))
	}
	return nil
}

// DeleteSecondFactor removes the user's second factor and recovery codes.
func (s *Store) DeleteSecondFactor(ctx context.Context, userID int64) error {
	err := s.inTx(ctx, func(tx conn) error {
		if _, err := tx.exec(ctx, `DELETE FROM user_recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `DELETE FROM user_second_factors WHERE user_id = ?`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete second factor of user %d: %w", userID, dbError(err, "", ""))
	}
	return nil
}

// UseRecoveryCode marks an unused recovery code used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, codeHash string, at time.Time) (bool, error) {
	res, err := s.pool().exec(ctx, `UPDATE user_recovery_codes SET used_at = ?
		WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, micros(s.stamp(at)), userID, codeHash)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", dbError(err, "", ""))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", dbError(err, "", ""))
	}
	return n == 1, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.pool().queryRow(ctx, `SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", dbError(err, "", ""))
	}
	return n, nil
}
