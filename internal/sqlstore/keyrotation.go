package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// PromoteSigningKey makes the next key env/id active and retires the other
// active keys of env, in one transaction. The active keys are retired
// first (an environment has at most one active key at any moment); the
// UPDATE of the next key is the compare-and-swap: a second replica
// promoting the same key finds it no longer next, gets ErrConflict and rolls
// its retirements back.
func (s *Store) PromoteSigningKey(ctx context.Context, env, id string, retiredRemoveAt time.Time) error {
	err := s.inTx(ctx, func(tx conn) error {
		retired, err := keyIDs(ctx, tx, `SELECT id FROM signing_keys WHERE environment = ? AND state = ? AND id <> ?`,
			env, gatehouse.KeyActive, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE signing_keys SET state = ?, remove_at = ?
			WHERE environment = ? AND state = ? AND id <> ?`,
			gatehouse.KeyRetired, nullMicros(retiredRemoveAt), env, gatehouse.KeyActive, id); err != nil {
			return dbError(err, "", "")
		}
		res, err := tx.exec(ctx, `UPDATE signing_keys SET state = ?, remove_at = NULL
			WHERE environment = ? AND id = ? AND state = ?`, gatehouse.KeyActive, env, id, gatehouse.KeyNext)
		if err != nil {
			return dbError(err, fmt.Sprintf("another key of %s became active at the same time", env), "")
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError(err, "", "")
		} else if n == 0 {
			return keyNotInState(ctx, tx, env, id, gatehouse.KeyNext)
		}
		for _, kid := range append(retired, id) {
			if err := s.appendChange(ctx, tx, gatehouse.ChangeSigningKey, env+"/"+kid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("promote signing key %s/%s: %w", env, id, err)
	}
	return nil
}

// keyNotInState is the error of a compare-and-swap on key env/id that found
// it in another state than want: ErrConflict, or ErrNotFound if there is no
// such key.
func keyNotInState(ctx context.Context, tx conn, env, id, want string) error {
	var state string
	err := tx.queryRow(ctx, `SELECT state FROM signing_keys WHERE environment = ? AND id = ?`, env, id).Scan(&state)
	if err != nil {
		return notFound(err, "signing key %s not found in environment %s", id, env)
	}
	return gatehouse.Errorf(gatehouse.ECONFLICT, "signing key %s/%s is %s, not %s", env, id, state, want)
}

// ActivateSigningKey stores k as env's only active key at once, in one
// transaction: it deletes a pending next key, retires the active keys with
// RemoveAt retiredRemoveAt and inserts k. Two replicas doing this at once
// cannot both succeed: the second insert of an active key breaks the
// one-active-key index and gets ErrConflict.
func (s *Store) ActivateSigningKey(ctx context.Context, k *gatehouse.SigningKey, retiredRemoveAt time.Time) ([]string, error) {
	if err := validateSigningKey(k); err != nil {
		return nil, err
	}
	if k.State != gatehouse.KeyActive {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "signing key %s to activate is %s, not active", k.ID, k.State)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.stamp(k.CreatedAt)
	}
	env := k.Environment
	stored, err := s.sealPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("activate signing key %s/%s: %w", env, k.ID, err)
	}
	var retired []string
	err = s.inTx(ctx, func(tx conn) error {
		cancelled, err := keyIDs(ctx, tx, `SELECT id FROM signing_keys WHERE environment = ? AND state = ?`, env, gatehouse.KeyNext)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM signing_keys WHERE environment = ? AND state = ?`, env, gatehouse.KeyNext); err != nil {
			return dbError(err, "", "")
		}
		if retired, err = keyIDs(ctx, tx, `SELECT id FROM signing_keys WHERE environment = ? AND state = ?`, env, gatehouse.KeyActive); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE signing_keys SET state = ?, remove_at = ? WHERE environment = ? AND state = ?`,
			gatehouse.KeyRetired, nullMicros(retiredRemoveAt), env, gatehouse.KeyActive); err != nil {
			return dbError(err, "", "")
		}
		_, err = tx.exec(ctx, `INSERT INTO signing_keys (environment, id, algorithm, private_key, state, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, env, k.ID, k.Algorithm, stored, k.State, micros(k.CreatedAt))
		if err != nil {
			return dbError(err, fmt.Sprintf("signing key %s already exists in %s, or another key of %s became active at the same time", k.ID, env, env),
				fmt.Sprintf("environment %s not found", env))
		}
		for _, kid := range append(append(cancelled, retired...), k.ID) {
			if err := s.appendChange(ctx, tx, gatehouse.ChangeSigningKey, env+"/"+kid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("activate signing key %s/%s: %w", env, k.ID, err)
	}
	return retired, nil
}

// RevokeSigningKey marks the next or retired key env/id revoked: it leaves
// the JWKS and tokens it signed stop verifying. The row stays until
// removeAt for revocation feeds. The UPDATE is a compare-and-swap on the
// state read in the same transaction.
func (s *Store) RevokeSigningKey(ctx context.Context, env, id string, at, removeAt time.Time) error {
	at = s.stamp(at)
	err := s.inTx(ctx, func(tx conn) error {
		var state string
		err := tx.queryRow(ctx, `SELECT state FROM signing_keys WHERE environment = ? AND id = ?`, env, id).Scan(&state)
		if err != nil {
			return notFound(err, "signing key %s not found in environment %s", id, env)
		}
		switch state {
		case gatehouse.KeyRevoked:
			return nil
		case gatehouse.KeyActive:
			return gatehouse.Errorf(gatehouse.ECONFLICT,
				"signing key %s is the active key of %s: activate a new key first (keys rotate --now), then revoke this one", id, env)
		}
		res, err := tx.exec(ctx, `UPDATE signing_keys SET state = ?, revoked_at = ?, remove_at = ?
			WHERE environment = ? AND id = ? AND state = ?`,
			gatehouse.KeyRevoked, micros(at), micros(removeAt), env, id, state)
		if n, aerr := rowsAffected(res, err); aerr != nil {
			return aerr
		} else if n == 0 {
			return keyNotInState(ctx, tx, env, id, state)
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeSigningKey, env+"/"+id)
	})
	if err != nil {
		return fmt.Errorf("revoke signing key %s/%s: %w", env, id, err)
	}
	return nil
}

// CancelNextSigningKey deletes env's next key id (compare-and-swap on its
// state), with a change.
func (s *Store) CancelNextSigningKey(ctx context.Context, env, id string) error {
	err := s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `DELETE FROM signing_keys WHERE environment = ? AND id = ? AND state = ?`, env, id, gatehouse.KeyNext)
		if n, aerr := rowsAffected(res, err); aerr != nil {
			return aerr
		} else if n == 0 {
			return keyNotInState(ctx, tx, env, id, gatehouse.KeyNext)
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeSigningKey, env+"/"+id)
	})
	if err != nil {
		return fmt.Errorf("cancel next signing key %s/%s: %w", env, id, err)
	}
	return nil
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, dbError(err, "", "")
	}
	n, err := res.RowsAffected()
	return n, dbError(err, "", "")
}

// DeleteRemovedSigningKeys deletes env's retired and revoked keys whose
// RemoveAt has come, with a change each, and returns their ids.
func (s *Store) DeleteRemovedSigningKeys(ctx context.Context, env string, now time.Time) ([]string, error) {
	var deleted []string
	err := s.inTx(ctx, func(tx conn) error {
		ids, err := keyIDs(ctx, tx, `SELECT id FROM signing_keys
			WHERE environment = ? AND state IN (?, ?) AND remove_at IS NOT NULL AND remove_at <= ?`,
			env, gatehouse.KeyRetired, gatehouse.KeyRevoked, micros(now))
		if err != nil {
			return err
		}
		for _, kid := range ids {
			if _, err := tx.exec(ctx, `DELETE FROM signing_keys WHERE environment = ? AND id = ?`, env, kid); err != nil {
				return dbError(err, "", "")
			}
			if err := s.appendChange(ctx, tx, gatehouse.ChangeSigningKey, env+"/"+kid); err != nil {
				return err
			}
		}
		deleted = ids
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete removed signing keys of %s: %w", env, err)
	}
	return deleted, nil
}

// keyIDs runs a query that selects key ids.
func keyIDs(ctx context.Context, tx conn, query string, args ...any) ([]string, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "", "")
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbError(err, "", "")
		}
		ids = append(ids, id)
	}
	return ids, dbError(rows.Err(), "", "")
}

// LongestClientTokenLifetime returns the largest token_lifetime_seconds of
// env's clients, zero if none has one. The partial index
// clients_token_lifetime holds only the clients that set a lifetime, so the
// answer is one index probe however many clients env has.
func (s *Store) LongestClientTokenLifetime(ctx context.Context, env string) (time.Duration, error) {
	var longest sql.NullInt64
	err := s.pool().queryRow(ctx, `SELECT MAX(token_lifetime_seconds) FROM clients
		WHERE environment = ? AND token_lifetime_seconds IS NOT NULL`, env).Scan(&longest)
	if err != nil {
		return 0, fmt.Errorf("longest client token lifetime of %s: %w", env, dbError(err, "", ""))
	}
	return fromSeconds(longest.Int64), nil
}
