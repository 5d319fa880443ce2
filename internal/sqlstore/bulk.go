package sqlstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// InsertLoadTestClients is a load-test tool, not part of gatehouse.Store: it
// inserts active clients of env and account, client i with id ids[i] and
// one secret whose SHA-256 is hashes[i], in one transaction of multi-row
// INSERTs, without change-feed rows. Servers already running do not see
// the clients (their filter of client ids was built without them): start
// them after the fill. It exists so that `gatehouse bench fill` can create a
// million clients in seconds rather than hours of admin API calls.
func (s *Store) InsertLoadTestClients(ctx context.Context, env string, account int64, ids []string, hashes [][sha256.Size]byte, now time.Time) error {
	if len(ids) != len(hashes) {
		return fmt.Errorf("insert load-test clients: %d ids but %d hashes", len(ids), len(hashes))
	}
	const batch = 500
	at := micros(now.UTC())
	return s.inTx(ctx, func(tx conn) error {
		for start := 0; start < len(ids); start += batch {
			part := ids[start:min(start+batch, len(ids))]
			rows := make([]string, len(part))
			args := make([]any, 0, len(part)*9)
			for i, id := range part {
				rows[i] = "(?, ?, ?, ?, '[]', '[]', '[]', ?, ?, ?, 1)"
				args = append(args, id, env, account, id, gatehouse.ClientActive, at, at)
			}
			_, err := tx.exec(ctx, `INSERT INTO clients (id, environment, account_id, name, scopes, audiences,
				allowed_cidrs, status, created_at, updated_at, version) VALUES `+strings.Join(rows, ", "), args...)
			if err != nil {
				return fmt.Errorf("insert load-test clients: %w", dbError(err, "a client id is taken", "the environment or account does not exist"))
			}
			args = args[:0]
			for i, id := range part {
				rows[i] = "(?, ?, ?)"
				args = append(args, id, hashes[start+i][:], at)
			}
			_, err = tx.exec(ctx, `INSERT INTO client_secrets (client_id, hash, created_at) VALUES `+strings.Join(rows, ", "), args...)
			if err != nil {
				return fmt.Errorf("insert load-test secrets: %w", dbError(err, "", ""))
			}
		}
		return nil
	})
}
