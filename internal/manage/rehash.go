package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

// rehashActor is the audit actor of re-hashes, which the server does by
// itself on an imported secret's first successful use.
var rehashActor = &gatehouse.Principal{ClientID: "gatehouse"}

// RehashImportedSecret replaces the imported hash of secret secretID of
// client clientID by hash, its native SHA-256 hash, with an audit record in
// the same transaction. It does nothing if the secret is gone or no longer
// under that imported hash (re-hashed already, rotated, revoked), so a
// repeated or late call is harmless. It is what the token path calls, off
// the request, after an imported secret's first successful use.
func (s *Service) RehashImportedSecret(ctx context.Context, clientID string, secretID int64, imported string, hash [32]byte) error {
	for attempt := 1; ; attempt++ {
		c, err := s.store.Client(ctx, clientID)
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil
		} else if err != nil {
			return fmt.Errorf("re-hash secret %d of %s: %w", secretID, clientID, err)
		}
		i := secretIndex(c, secretID)
		if i < 0 || c.Secrets[i].Imported == "" || c.Secrets[i].Imported != imported {
			return nil
		}
		scheme := gatehouse.ImportedHashScheme(imported)
		c.Secrets[i].Hash, c.Secrets[i].Imported = hash, ""
		c.UpdatedAt = s.now().UTC()
		err = s.change(ctx, func(tx gatehouse.Store) error {
			if err := tx.UpdateClient(ctx, c); err != nil {
				return err
			}
			return s.auditClient(ctx, tx, rehashActor, "client.secret_rehash", c,
				fmt.Sprintf("secret %d re-hashed from %s on first use", secretID, scheme))
		})
		switch {
		case err == nil:
			return nil
		case errors.Is(err, gatehouse.ErrConflict) && attempt < maxConflictRetries:
			continue
		}
		return fmt.Errorf("re-hash secret %d of %s: %w", secretID, clientID, err)
	}
}

func secretIndex(c *gatehouse.Client, id int64) int {
	for i := range c.Secrets {
		if c.Secrets[i].ID == id {
			return i
		}
	}
	return -1
}
