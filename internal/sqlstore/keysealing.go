package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

// keyAAD binds a sealed private key to its row: a sealed key copied to
// another environment or id does not open.
func keyAAD(env, id string) []byte { return []byte("signing-key/" + env + "/" + id) }

// sealPrivateKey returns what to store for k's private key: sealed when the
// store has a sealer, as it is otherwise.
func (s *Store) sealPrivateKey(k *gatehouse.SigningKey) ([]byte, error) {
	if s.sealer == nil {
		return k.PrivateKey, nil
	}
	sealed, err := s.sealer.Seal(k.PrivateKey, keyAAD(k.Environment, k.ID))
	if err != nil {
		return nil, fmt.Errorf("seal private key: %w", err)
	}
	return sealed, nil
}

// openPrivateKey returns the private key stored for env/id: opened when
// sealed, as it is when written in the clear (before sealing began).
func (s *Store) openPrivateKey(env, id string, stored []byte) ([]byte, error) {
	if s.sealer == nil || !s.sealer.Sealed(stored) {
		return stored, nil
	}
	plain, err := s.sealer.Open(stored, keyAAD(env, id))
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.EINTERNAL, "the private key of signing key %s/%s does not open under the master key: %v", env, id, err)
	}
	return plain, nil
}

// ResealSigningKeys seals every private key stored in the clear and seals
// again every one sealed under an older master key, and returns how many it
// changed. It runs at every start (before any key is read), so a database
// from before sealing, or a master-key rotation, is brought up to date
// without a separate step. Each row changes by compare-and-swap on its old
// value, so replicas starting together do not undo each other's work. On
// SQLite the write-ahead log is then checkpointed and truncated, and with
// secure_delete on no copy of a replaced key stays in the file.
func (s *Store) ResealSigningKeys(ctx context.Context) (int, error) {
	if s.sealer == nil {
		return 0, nil
	}
	type row struct {
		env, id string
		stored  []byte
	}
	rows, err := s.pool().query(ctx, `SELECT environment, id, private_key FROM signing_keys ORDER BY environment, id`)
	if err != nil {
		return 0, fmt.Errorf("reseal signing keys: %w", dbError(err, "", ""))
	}
	var stale []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.env, &r.id, &r.stored); err != nil {
			rows.Close()
			return 0, fmt.Errorf("reseal signing keys: %w", dbError(err, "", ""))
		}
		if !s.sealer.Sealed(r.stored) || !s.sealer.Current(r.stored) {
			stale = append(stale, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reseal signing keys: %w", dbError(err, "", ""))
	}
	n := 0
	for _, r := range stale {
		plain, err := s.openPrivateKey(r.env, r.id, r.stored)
		if err != nil {
			return n, fmt.Errorf("reseal signing keys: %w", err)
		}
		sealed, err := s.sealer.Seal(plain, keyAAD(r.env, r.id))
		if err != nil {
			return n, fmt.Errorf("reseal signing key %s/%s: %w", r.env, r.id, err)
		}
		res, err := s.pool().exec(ctx, `UPDATE signing_keys SET private_key = ?
			WHERE environment = ? AND id = ? AND private_key = ?`, sealed, r.env, r.id, r.stored)
		if err != nil {
			return n, fmt.Errorf("reseal signing key %s/%s: %w", r.env, r.id, dbError(err, "", ""))
		}
		if m, err := res.RowsAffected(); err == nil && m == 1 {
			n++
		}
	}
	if n > 0 && s.dialect.name == "sqlite" {
		if _, err := s.pool().exec(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return n, fmt.Errorf("checkpoint after resealing: %w", dbError(err, "", ""))
		}
	}
	return n, nil
}
