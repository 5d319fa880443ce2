package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

// CreateAccount stores a new account and sets its ID (unless it has one:
// then it is stored under that id, ErrConflict if taken), and its CreatedAt
// to now if it is zero. Accounts are not part of the change feed: the token
// path never reads them.
func (s *Store) CreateAccount(ctx context.Context, a *gatehouse.Account) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.stamp(a.CreatedAt)
	}
	if a.ID < 0 {
		return gatehouse.Errorf(gatehouse.EINVALID, "account id %d must be positive", a.ID)
	}
	if a.ID > 0 {
		return s.createAccountWithID(ctx, a)
	}
	err := s.pool().queryRow(ctx, `INSERT INTO accounts (name, created_at) VALUES (?, ?) RETURNING id`,
		a.Name, micros(a.CreatedAt)).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("create account %q: %w", a.Name, dbError(err, "", ""))
	}
	return nil
}

// createAccountWithID stores an account under the id it was given (an
// account moved from another server keeps its id, which legacy dialects
// return), and moves the id sequence past it so that later accounts do not
// collide with it.
func (s *Store) createAccountWithID(ctx context.Context, a *gatehouse.Account) error {
	err := s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)`, a.ID, a.Name, micros(a.CreatedAt))
		if err != nil {
			return dbError(err, fmt.Sprintf("account %d already exists", a.ID), "")
		}
		// SQLite's AUTOINCREMENT follows the largest id by itself.
		if s.dialect.name == dialectPostgres {
			_, err = tx.exec(ctx, `SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT MAX(id) FROM accounts))`)
		}
		return dbError(err, "", "")
	})
	if err != nil {
		return fmt.Errorf("create account %d %q: %w", a.ID, a.Name, err)
	}
	return nil
}

// Account returns the account with the given id.
func (s *Store) Account(ctx context.Context, id int64) (*gatehouse.Account, error) {
	var a gatehouse.Account
	var created int64
	err := s.pool().queryRow(ctx, `SELECT id, name, created_at FROM accounts WHERE id = ?`, id).
		Scan(&a.ID, &a.Name, &created)
	if err != nil {
		return nil, fmt.Errorf("load account %d: %w", id, notFound(err, "account %d not found", id))
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

// Accounts returns a page of accounts ordered by id: those with an id above
// f.AfterID, at most f.Limit (100 if 0, never more than 1000).
func (s *Store) Accounts(ctx context.Context, f gatehouse.AccountFilter) ([]*gatehouse.Account, error) {
	rows, err := s.pool().query(ctx, `SELECT id, name, created_at FROM accounts WHERE id > ? ORDER BY id LIMIT ?`,
		f.AfterID, pageLimit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var list []*gatehouse.Account
	for rows.Next() {
		var a gatehouse.Account
		var created int64
		if err := rows.Scan(&a.ID, &a.Name, &created); err != nil {
			return nil, fmt.Errorf("list accounts: %w", dbError(err, "", ""))
		}
		a.CreatedAt = fromMicros(created)
		list = append(list, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", dbError(err, "", ""))
	}
	return list, nil
}
