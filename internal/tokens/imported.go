package tokens

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// RehashFunc replaces the imported hash of secret secretID of client
// clientID, if it still is imported, by the native hash. It is called off
// the token path, once per imported secret's first successful use.
type RehashFunc func(ctx context.Context, clientID string, secretID int64, imported string, hash [32]byte) error

// importedSecrets keeps imported secrets fast and gets them re-hashed: a
// memo of verified presentations, and the re-hashes under way.
type importedSecrets struct {
	memo   *gatehouse.SecretMemo
	rehash RehashFunc

	mu      sync.Mutex
	started map[int64]bool // secret ids whose re-hash is under way or done
	wg      sync.WaitGroup
}

// match is Client.Match through the memo, starting a re-hash of an imported
// secret that matched and is strong enough for the native hash (a weak one
// stays under its imported, slow hash).
func (i *Issuer) match(c *gatehouse.Client, secret string) gatehouse.SecretMatch {
	m := c.Match(secret, i.now(), i.imported.memo)
	if m.OK && m.Imported != "" && i.imported.rehash != nil && gatehouse.StrongSecret(secret) {
		i.startRehash(c.ID, m.ID, m.Imported, gatehouse.HashSecret(secret))
	}
	return m
}

// maxRehashTime bounds one re-hash write.
const maxRehashTime = 30 * time.Second

func (i *Issuer) startRehash(clientID string, secretID int64, imported string, hash [32]byte) {
	r := &i.imported
	r.mu.Lock()
	if r.started[secretID] {
		r.mu.Unlock()
		return
	}
	r.started[secretID] = true
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), maxRehashTime)
		defer cancel()
		if err := r.rehash(ctx, clientID, secretID, imported, hash); err != nil {
			// Try again on a later use.
			r.mu.Lock()
			delete(r.started, secretID)
			r.mu.Unlock()
			i.logger.Warn("re-hash of an imported secret failed; retried on its next use",
				"client_id", clientID, "secret_id", secretID, "err", err)
			return
		}
		i.logger.Info("imported secret re-hashed", "client_id", clientID, "secret_id", secretID)
	}()
}

// WaitRehashes waits for the re-hashes under way (for tests and shutdown).
func (i *Issuer) WaitRehashes() { i.imported.wg.Wait() }
