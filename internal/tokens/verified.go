package tokens

import (
	"crypto/sha256"
	"sync"

	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// verifiedCacheSize bounds the verified-token cache: it holds at most two
// generations of this many tokens (a few MiB).
const verifiedCacheSize = 1 << 14

// verifiedCache remembers tokens whose signature (or seal) and issuer were
// checked, keyed by the SHA-256 of the token, so that introspecting a token
// again skips the public-key operation (about 60 µs for ES256). It caches
// only what cannot change about a token: expiry, revocation and the
// client's status are checked on every call. An entry counts only for the
// environment value it was verified against, so a reloaded environment (a
// key published, retired or removed) starts afresh.
//
// It is bounded by generations: when the current map is full it becomes the
// previous one and the one before is dropped; a hit in the previous map
// moves the entry back to the current one.
type verifiedCache struct {
	mu       sync.Mutex
	cur, old map[[sha256.Size]byte]verifiedToken
}

type verifiedToken struct {
	env    *cache.Environment
	claims *Claims
}

func (v *verifiedCache) get(key [sha256.Size]byte, env *cache.Environment) (*Claims, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.cur[key]
	if !ok {
		if e, ok = v.old[key]; ok {
			delete(v.old, key)
			v.putLocked(key, e)
		}
	}
	if !ok || e.env != env {
		return nil, false
	}
	return e.claims, true
}

func (v *verifiedCache) put(key [sha256.Size]byte, e verifiedToken) {
	v.mu.Lock()
	v.putLocked(key, e)
	v.mu.Unlock()
}

func (v *verifiedCache) putLocked(key [sha256.Size]byte, e verifiedToken) {
	if len(v.cur) >= verifiedCacheSize || v.cur == nil {
		v.old, v.cur = v.cur, make(map[[sha256.Size]byte]verifiedToken, verifiedCacheSize)
	}
	v.cur[key] = e
}

// len returns how many tokens the cache holds.
func (v *verifiedCache) len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.cur) + len(v.old)
}
