package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// CreateUser stores a new dashboard user and sets its ID, and its CreatedAt
// to now if it is zero. Email addresses are unique regardless of case:
// ErrConflict if another user has the same address; ErrNotFound if the
// account does not exist.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.stamp(u.CreatedAt)
	}
	account := sql.NullInt64{Int64: u.AccountID, Valid: u.AccountID != 0}
	err := s.pool().queryRow(ctx, `INSERT INTO users
		(email, email_lower, password_hash, account_id, role, operator, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Email, strings.ToLower(u.Email), u.PasswordHash, account, u.Role, u.Operator, u.Disabled,
		micros(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Email, dbError(err,
			fmt.Sprintf("a user with email %s already exists", u.Email),
			fmt.Sprintf("account %d not found", u.AccountID)))
	}
	return nil
}

// UserByEmail returns the user with the given email address, in any case.
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	var u gatehouse.User
	var account sql.NullInt64
	var created int64
	err := s.pool().queryRow(ctx, `SELECT id, email, password_hash, account_id, role, operator, disabled, created_at
		FROM users WHERE email_lower = ?`, strings.ToLower(email)).
		Scan(&u.ID, &u.Email, &u.PasswordHash, &account, &u.Role, &u.Operator, &u.Disabled, &created)
	if err != nil {
		return nil, fmt.Errorf("load user %s: %w", email, notFound(err, "user %s not found", email))
	}
	u.AccountID, u.CreatedAt = account.Int64, fromMicros(created)
	return &u, nil
}
