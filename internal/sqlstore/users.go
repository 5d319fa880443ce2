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

const userColumns = `id, email, password_hash, account_id, role, operator, disabled, created_at`

func scanUser(row scanner) (*gatehouse.User, error) {
	var u gatehouse.User
	var account sql.NullInt64
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &account, &u.Role, &u.Operator, &u.Disabled, &created); err != nil {
		return nil, err
	}
	u.AccountID, u.CreatedAt = account.Int64, fromMicros(created)
	return &u, nil
}

// UserByEmail returns the user with the given email address, in any case.
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	u, err := scanUser(s.pool().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email_lower = ?`, strings.ToLower(email)))
	if err != nil {
		return nil, fmt.Errorf("load user %s: %w", email, notFound(err, "user %s not found", email))
	}
	return u, nil
}

// User returns the user with the given id.
func (s *Store) User(ctx context.Context, id int64) (*gatehouse.User, error) {
	u, err := scanUser(s.pool().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("load user %d: %w", id, notFound(err, "user %d not found", id))
	}
	return u, nil
}

// Users returns a page of users ordered by id: those of f.AccountID when
// set, with an id above f.AfterID, at most f.Limit (100 if 0, never more
// than 1000).
func (s *Store) Users(ctx context.Context, f gatehouse.UserFilter) ([]*gatehouse.User, error) {
	where, args := "id > ?", []any{f.AfterID}
	if f.AccountID != 0 {
		where, args = where+" AND account_id = ?", append(args, f.AccountID)
	}
	rows, err := s.pool().query(ctx, `SELECT `+userColumns+` FROM users WHERE `+where+` ORDER BY id LIMIT ?`,
		append(args, pageLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	list := []*gatehouse.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", dbError(err, "", ""))
		}
		list = append(list, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", dbError(err, "", ""))
	}
	return list, nil
}

// UpdateUser stores the user's role, disabled flag and password hash.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	res, err := s.pool().exec(ctx, `UPDATE users SET role = ?, disabled = ?, password_hash = ? WHERE id = ?`,
		u.Role, u.Disabled, u.PasswordHash, u.ID)
	if err := mustAffect(res, err, "user %d not found", u.ID); err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, err)
	}
	return nil
}

// DeleteUser removes a user; its sessions, second factor and recovery
// codes go with it.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.pool().exec(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err := mustAffect(res, err, "user %d not found", id); err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	return nil
}

// CountActiveOwners counts the account's owners who are not disabled.
func (s *Store) CountActiveOwners(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := s.pool().queryRow(ctx, `SELECT COUNT(*) FROM users WHERE account_id = ? AND role = ? AND NOT disabled`,
		accountID, gatehouse.RoleOwner).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count owners of account %d: %w", accountID, dbError(err, "", ""))
	}
	return n, nil
}

// LockAccount locks the account's row until the transaction ends. On
// PostgreSQL that is SELECT ... FOR UPDATE; SQLite transactions take the
// database's write lock when they begin, so they already run one at a time.
func (s *Store) LockAccount(ctx context.Context, accountID int64) error {
	query := `SELECT id FROM accounts WHERE id = ?`
	if s.dialect.name == dialectPostgres {
		query += ` FOR UPDATE`
	}
	var id int64
	if err := s.pool().queryRow(ctx, query, accountID).Scan(&id); err != nil {
		return fmt.Errorf("lock account %d: %w", accountID, notFound(err, "account %d not found", accountID))
	}
	return nil
}
