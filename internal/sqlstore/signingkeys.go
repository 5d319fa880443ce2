package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// CreateSigningKey stores a new signing key; ErrConflict if the environment
// has a key with that id, ErrNotFound if the environment does not exist. A
// zero CreatedAt is set to now.
func (s *Store) CreateSigningKey(ctx context.Context, k *gatehouse.SigningKey) error {
	if err := validateSigningKey(k); err != nil {
		return err
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.stamp(k.CreatedAt)
	}
	stored, err := s.sealPrivateKey(k)
	if err != nil {
		return fmt.Errorf("create signing key %s/%s: %w", k.Environment, k.ID, err)
	}
	err = s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `INSERT INTO signing_keys
			(environment, id, algorithm, private_key, state, created_at, remove_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			k.Environment, k.ID, k.Algorithm, stored, k.State, micros(k.CreatedAt), nullMicros(k.RemoveAt))
		if err != nil {
			return dbError(err, fmt.Sprintf("signing key %s already exists in environment %s, or the environment already has its one %s key", k.ID, k.Environment, k.State),
				fmt.Sprintf("environment %s not found", k.Environment))
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeSigningKey, k.Environment+"/"+k.ID)
	})
	if err != nil {
		return fmt.Errorf("create signing key %s/%s: %w", k.Environment, k.ID, err)
	}
	return nil
}

// SigningKeys returns an environment's keys, oldest first; none if the
// environment does not exist.
func (s *Store) SigningKeys(ctx context.Context, env string) ([]*gatehouse.SigningKey, error) {
	rows, err := s.pool().query(ctx, `SELECT environment, id, algorithm, private_key, state, created_at, remove_at, revoked_at
		FROM signing_keys WHERE environment = ? ORDER BY created_at, id`, env)
	if err != nil {
		return nil, fmt.Errorf("list signing keys of %s: %w", env, dbError(err, "", ""))
	}
	defer rows.Close()
	var list []*gatehouse.SigningKey
	for rows.Next() {
		var k gatehouse.SigningKey
		var created int64
		var remove, revoked sql.NullInt64
		if err := rows.Scan(&k.Environment, &k.ID, &k.Algorithm, &k.PrivateKey, &k.State, &created, &remove, &revoked); err != nil {
			return nil, fmt.Errorf("list signing keys of %s: %w", env, dbError(err, "", ""))
		}
		k.CreatedAt, k.RemoveAt, k.RevokedAt = fromMicros(created), fromNullMicros(remove), fromNullMicros(revoked)
		if k.PrivateKey, err = s.openPrivateKey(k.Environment, k.ID, k.PrivateKey); err != nil {
			return nil, fmt.Errorf("list signing keys of %s: %w", env, err)
		}
		list = append(list, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list signing keys of %s: %w", env, dbError(err, "", ""))
	}
	return list, nil
}

// UpdateSigningKeyState moves key env/id from state from to state to and
// sets its RemoveAt (NULL for the zero time). It is a compare-and-swap: when
// replicas rotate at once, one wins and the others get ErrConflict, because
// the key is no longer in state from. ErrNotFound if there is no such key.
func (s *Store) UpdateSigningKeyState(ctx context.Context, env, id, from, to string, removeAt time.Time) error {
	if err := validateKeyState(to); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `UPDATE signing_keys SET state = ?, remove_at = ?
			WHERE environment = ? AND id = ? AND state = ?`,
			to, nullMicros(removeAt), env, id, from)
		if err != nil {
			return dbError(err, "", "")
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError(err, "", "")
		} else if n == 0 {
			var state string
			err := tx.queryRow(ctx, `SELECT state FROM signing_keys WHERE environment = ? AND id = ?`, env, id).
				Scan(&state)
			if err != nil {
				return notFound(err, "signing key %s not found in environment %s", id, env)
			}
			return gatehouse.Errorf(gatehouse.ECONFLICT, "signing key %s/%s is %s, not %s", env, id, state, from)
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeSigningKey, env+"/"+id)
	})
	if err != nil {
		return fmt.Errorf("move signing key %s/%s from %s to %s: %w", env, id, from, to, err)
	}
	return nil
}

// validateSigningKey checks k before it is written. The domain has no
// SigningKey.Validate, so the checks are here.
func validateSigningKey(k *gatehouse.SigningKey) error {
	if !gatehouse.ValidEnvironmentName(k.Environment) {
		return gatehouse.Errorf(gatehouse.EINVALID, "environment %q is not a valid environment name", k.Environment)
	}
	if k.ID == "" || len(k.ID) > 200 {
		return gatehouse.Errorf(gatehouse.EINVALID, "signing key id must be 1-200 characters")
	}
	if err := gatehouse.ValidateSigningAlgorithm(k.Algorithm); err != nil {
		return err
	}
	if len(k.PrivateKey) == 0 {
		return gatehouse.Errorf(gatehouse.EINVALID, "signing key %s has no private key", k.ID)
	}
	return validateKeyState(k.State)
}

func validateKeyState(state string) error {
	switch state {
	case gatehouse.KeyNext, gatehouse.KeyActive, gatehouse.KeyRetired:
		return nil
	case gatehouse.KeyRevoked:
		return gatehouse.Errorf(gatehouse.EINVALID, "a signing key is revoked with RevokeSigningKey, not stored revoked")
	}
	return gatehouse.Errorf(gatehouse.EINVALID, "signing key state %q must be next, active or retired", state)
}
