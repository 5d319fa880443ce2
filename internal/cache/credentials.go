package cache

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gatehouse-dev/gatehouse"
)

// revokedCredentials are the revoked clients and secrets the directory
// knows, for the hot path to consult without a store read.
type revokedCredentials struct {
	clients map[string]bool
	secrets map[int64]bool
}

// ClientRevoked reports whether a revocation of client id is on record.
func (d *Directory) ClientRevoked(id string) bool { return d.credentials.Load().clients[id] }

// SecretRevoked reports whether the secret with id was revoked.
func (d *Directory) SecretRevoked(id int64) bool { return d.credentials.Load().secrets[id] }

// loadCredentialRevocations reads the unexpired records of revoked clients
// and secrets, makes them the current sets and returns them.
func (d *Directory) loadCredentialRevocations(ctx context.Context) ([]*gatehouse.RevokedCredential, error) {
	list, err := d.store.RevokedCredentials(ctx, d.now())
	if err != nil {
		return nil, fmt.Errorf("load revoked credentials: %w", err)
	}
	next := &revokedCredentials{clients: map[string]bool{}, secrets: map[int64]bool{}}
	for _, r := range list {
		switch r.Kind {
		case gatehouse.RevokedClient:
			next.clients[r.ID] = true
		case gatehouse.RevokedSecret:
			if id, err := strconv.ParseInt(r.ID, 10, 64); err == nil {
				next.secrets[id] = true
			}
		}
	}
	d.credentials.Store(next)
	return list, nil
}
