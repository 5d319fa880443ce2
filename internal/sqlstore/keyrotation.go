package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// PromoteSigningKey makes the next key env/id active and retires the other
// active keys of env, in one transaction. The first UPDATE is the
// compare-and-swap: on PostgreSQL a second replica promoting the same key
// waits for the first one's row lock, then finds the key no longer next and
// gets ErrConflict.
func (s *Store) PromoteSigningKey(ctx context.Context, env, id string, retiredRemoveAt time.Time) error {
	err := s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `UPDATE signing_keys SET state = ?, remove_at = NULL
			WHERE environment = ? AND id = ? AND state = ?`, gatehouse.KeyActive, env, id, gatehouse.KeyNext)
		if err != nil {
			return dbError(err, "", "")
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError(err, "", "")
		} else if n == 0 {
			var state string
			err := tx.queryRow(ctx, `SELECT state FROM signing_keys WHERE environment = ? AND id = ?`, env, id).Scan(&state)
			if err != nil {
				return notFound(err, "signing key %s not found in environment %s", id, env)
			}
			return gatehouse.Errorf(gatehouse.ECONFLICT, "signing key %s/%s is %s, not next", env, id, state)
		}
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

// DeleteRemovedSigningKeys deletes env's retired keys whose RemoveAt has
// come, with a change each, and returns their ids.
func (s *Store) DeleteRemovedSigningKeys(ctx context.Context, env string, now time.Time) ([]string, error) {
	var deleted []string
	err := s.inTx(ctx, func(tx conn) error {
		ids, err := keyIDs(ctx, tx, `SELECT id FROM signing_keys
			WHERE environment = ? AND state = ? AND remove_at IS NOT NULL AND remove_at <= ?`,
			env, gatehouse.KeyRetired, micros(now))
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
