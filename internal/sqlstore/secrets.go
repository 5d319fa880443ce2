package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// stampSecrets returns a copy of list with zero CreatedAt times set to now.
// The copy gets the new IDs, and replaces the caller's list only once the
// transaction has committed.
func (s *Store) stampSecrets(list []gatehouse.Secret) []gatehouse.Secret {
	if len(list) == 0 {
		return nil
	}
	out := make([]gatehouse.Secret, len(list))
	copy(out, list)
	for i := range out {
		if out[i].CreatedAt.IsZero() {
			out[i].CreatedAt = s.stamp(out[i].CreatedAt)
		}
	}
	return out
}

// insertSecret adds sec to the client's secrets and sets its ID.
func insertSecret(ctx context.Context, tx conn, clientID string, sec *gatehouse.Secret) error {
	err := tx.queryRow(ctx, `INSERT INTO client_secrets (client_id, hash, created_at, expires_at, sealed, imported_hash)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		clientID, sec.Hash[:], micros(sec.CreatedAt), nullMicros(sec.ExpiresAt), nullBytes(sec.Sealed), nullString(sec.Imported)).Scan(&sec.ID)
	if err != nil {
		return fmt.Errorf("add secret: %w", dbError(err, "", ""))
	}
	return nil
}

// replaceSecrets makes list the client's secrets: it deletes the secrets not
// in list, updates those in it, and inserts (setting their IDs) those
// without an ID.
// droppedSecrets returns the ids of the stored secrets of clientID that
// list does not keep.
func droppedSecrets(ctx context.Context, tx conn, clientID string, list []gatehouse.Secret) ([]int64, error) {
	keep := map[int64]bool{}
	for _, sec := range list {
		keep[sec.ID] = true
	}
	rows, err := tx.query(ctx, `SELECT id FROM client_secrets WHERE client_id = ?`, clientID)
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var dropped []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list secrets: %w", dbError(err, "", ""))
		}
		if !keep[id] {
			dropped = append(dropped, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list secrets: %w", dbError(err, "", ""))
	}
	return dropped, nil
}

func replaceSecrets(ctx context.Context, tx conn, clientID string, list []gatehouse.Secret) error {
	query, args := `DELETE FROM client_secrets WHERE client_id = ?`, []any{clientID}
	var keep []string
	for _, sec := range list {
		if sec.ID != 0 {
			keep, args = append(keep, "?"), append(args, sec.ID)
		}
	}
	if len(keep) > 0 {
		query += ` AND id NOT IN (` + strings.Join(keep, ", ") + `)`
	}
	if _, err := tx.exec(ctx, query, args...); err != nil {
		return fmt.Errorf("delete replaced secrets: %w", dbError(err, "", ""))
	}
	for i := range list {
		sec := &list[i]
		if sec.ID == 0 {
			if err := insertSecret(ctx, tx, clientID, sec); err != nil {
				return err
			}
			continue
		}
		res, err := tx.exec(ctx, `UPDATE client_secrets SET hash = ?, created_at = ?, expires_at = ?, sealed = ?, imported_hash = ?
			WHERE id = ? AND client_id = ?`,
			sec.Hash[:], micros(sec.CreatedAt), nullMicros(sec.ExpiresAt), nullBytes(sec.Sealed), nullString(sec.Imported), sec.ID, clientID)
		if err != nil {
			return fmt.Errorf("update secret %d: %w", sec.ID, dbError(err, "", ""))
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update secret %d: %w", sec.ID, dbError(err, "", ""))
		} else if n == 0 {
			// Someone else replaced the secrets since the caller read them.
			return gatehouse.Errorf(gatehouse.ECONFLICT,
				"secret %d is no longer a secret of client %s; reload the client and retry", sec.ID, clientID)
		}
	}
	return nil
}

// loadSecrets reads the secrets of the clients in list, oldest first.
func loadSecrets(ctx context.Context, q conn, list []*gatehouse.Client) error {
	if len(list) == 0 {
		return nil
	}
	byID := make(map[string]*gatehouse.Client, len(list))
	marks, args := make([]string, 0, len(list)), make([]any, 0, len(list))
	for _, c := range list {
		byID[c.ID] = c
		marks, args = append(marks, "?"), append(args, c.ID)
	}
	rows, err := q.query(ctx, `SELECT client_id, id, hash, created_at, expires_at, sealed, imported_hash FROM client_secrets
		WHERE client_id IN (`+strings.Join(marks, ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("load secrets: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	for rows.Next() {
		var clientID string
		var sec gatehouse.Secret
		var hash []byte
		var created int64
		var expires sql.NullInt64
		var imported sql.NullString
		if err := rows.Scan(&clientID, &sec.ID, &hash, &created, &expires, &sec.Sealed, &imported); err != nil {
			return fmt.Errorf("load secrets: %w", dbError(err, "", ""))
		}
		if len(hash) != sha256.Size {
			return fmt.Errorf("load secrets: secret %d has a %d-byte hash", sec.ID, len(hash))
		}
		copy(sec.Hash[:], hash)
		sec.Imported = imported.String
		sec.CreatedAt, sec.ExpiresAt = fromMicros(created), fromNullMicros(expires)
		if c := byID[clientID]; c != nil {
			c.Secrets = append(c.Secrets, sec)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load secrets: %w", dbError(err, "", ""))
	}
	return nil
}

// nullBytes returns b, or NULL when b is empty.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullString returns s, or NULL when s is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
