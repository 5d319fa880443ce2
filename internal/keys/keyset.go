package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse"
)

// ErrInvalidToken is returned for a token that is malformed, signed with an
// unknown key or algorithm, or whose signature does not verify.
var ErrInvalidToken = errors.New("invalid token")

// KeySet is an environment's parsed keys: the one that signs and all that are
// published. It is immutable once built.
type KeySet struct {
	Active *Key
	byID   map[string]*Key
	algs   []jose.SignatureAlgorithm
	jwks   []byte
	// revoked are the ids of the environment's revoked keys (not
	// published), for the revocation feed.
	revoked map[string]bool
}

// NewKeySet builds a key set from an environment's keys. Revoked keys, and
// retired keys whose RemoveAt has passed, are left out: they are not
// published and verify nothing. A set without an active key can verify but
// not sign.
func NewKeySet(list []*Key, now time.Time) (*KeySet, error) {
	ks := &KeySet{byID: make(map[string]*Key, len(list)), revoked: map[string]bool{}}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	seen := map[jose.SignatureAlgorithm]bool{}
	for _, k := range list {
		if k.State == gatehouse.KeyRevoked {
			ks.revoked[k.ID] = true
			continue
		}
		if !k.RemoveAt.IsZero() && !now.Before(k.RemoveAt) {
			continue
		}
		if k.State == gatehouse.KeyActive {
			ks.Active = k
		}
		ks.byID[k.ID] = k
		set.Keys = append(set.Keys, k.PublicJWK())
		if alg := jose.SignatureAlgorithm(k.Algorithm); !seen[alg] {
			seen[alg] = true
			ks.algs = append(ks.algs, alg)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode JWKS: %w", err)
	}
	ks.jwks = b
	return ks, nil
}

// JWKS returns the JSON Web Key Set document (RFC 7517 §5) of the published keys.
func (ks *KeySet) JWKS() []byte { return ks.jwks }

// Verify checks a compact JWS against the set: the algorithm must be one the
// set's keys use (never "none", never HMAC), the kid must name a published
// key of that algorithm, and the signature must verify. It returns the
// payload.
func (ks *KeySet) Verify(token string) ([]byte, error) {
	if len(ks.algs) == 0 {
		return nil, ErrInvalidToken
	}
	jws, err := jose.ParseSignedCompact(token, ks.algs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, ErrInvalidToken
	}
	h := jws.Signatures[0].Header
	k := ks.byID[h.KeyID]
	if k == nil || h.Algorithm != k.Algorithm {
		return nil, ErrInvalidToken
	}
	payload, err := jws.Verify(k.public)
	if err != nil {
		return nil, ErrInvalidToken
	}
	return payload, nil
}

// Algorithms returns the algorithms of the published keys.
func (ks *KeySet) Algorithms() []string {
	out := make([]string, len(ks.algs))
	for i, a := range ks.algs {
		out[i] = string(a)
	}
	return out
}

// States returns, by key id, the state of every published key (next,
// active or retired) and of every revoked key the store still holds
// (revoked).
func (ks *KeySet) States() map[string]string {
	out := make(map[string]string, len(ks.byID)+len(ks.revoked))
	for id, k := range ks.byID {
		out[id] = k.State
	}
	for id := range ks.revoked {
		out[id] = gatehouse.KeyRevoked
	}
	return out
}
