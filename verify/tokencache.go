package verify

import (
	"hash/maphash"
	"sync"
)

// tokenCache remembers JWTs whose signature and fixed claims (issuer,
// audience, header) already verified, so that a client presenting the same
// token on every request costs a map lookup instead of a signature check.
// Only what never changes for a token is cached: expiry, revocation and the
// feed's staleness are checked on every call, and an entry counts only for
// the key set it was verified with (a refetched or reduced JWKS starts
// afresh). It is sharded to keep lock contention low; each shard keeps two
// generations, so memory is bounded and recently used tokens survive.
type tokenCache struct {
	seed   maphash.Seed
	shards [16]tokenShard
}

type tokenShard struct {
	mu         sync.Mutex
	half       int
	young, old map[string]cachedToken
}

type cachedToken struct {
	keys   *keySet
	claims *Claims
}

// newTokenCache returns a cache of about size tokens, or nil (no cache)
// when size is negative.
func newTokenCache(size int) *tokenCache {
	if size < 0 {
		return nil
	}
	c := &tokenCache{seed: maphash.MakeSeed()}
	half := max(size/len(c.shards)/2, 1)
	for i := range c.shards {
		c.shards[i] = tokenShard{half: half, young: map[string]cachedToken{}, old: map[string]cachedToken{}}
	}
	return c
}

func (c *tokenCache) shard(token string) *tokenShard {
	return &c.shards[maphash.String(c.seed, token)%uint64(len(c.shards))]
}

// get returns the claims of token if it verified with ks.
func (c *tokenCache) get(token string, ks *keySet) *Claims {
	if c == nil {
		return nil
	}
	s := c.shard(token)
	s.mu.Lock()
	e, ok := s.young[token]
	if !ok {
		if e, ok = s.old[token]; ok {
			s.putLocked(token, e)
		}
	}
	s.mu.Unlock()
	if !ok || e.keys != ks {
		return nil
	}
	return e.claims
}

func (c *tokenCache) put(token string, ks *keySet, claims *Claims) {
	if c == nil {
		return
	}
	s := c.shard(token)
	s.mu.Lock()
	s.putLocked(token, cachedToken{keys: ks, claims: claims})
	s.mu.Unlock()
}

func (s *tokenShard) putLocked(token string, e cachedToken) {
	if len(s.young) >= s.half {
		s.old, s.young = s.young, make(map[string]cachedToken, s.half)
	}
	s.young[token] = e
}
