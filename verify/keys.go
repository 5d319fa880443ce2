package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// discovery is what the verifier reads of the issuer's metadata.
type discovery struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	RevocationFeed        string `json:"gatehouse_revocation_feed_endpoint"`
}

// discover reads {issuer}/.well-known/openid-configuration.
func (v *Verifier) discover(ctx context.Context) (*discovery, error) {
	var d discovery
	if err := v.getJSON(ctx, v.cfg.Issuer+"/.well-known/openid-configuration", &d); err != nil {
		return nil, fmt.Errorf("verify: discovery: %w", err)
	}
	if d.Issuer != v.cfg.Issuer {
		return nil, fmt.Errorf("verify: discovery names issuer %q, not %q", d.Issuer, v.cfg.Issuer)
	}
	if d.JWKSURI == "" {
		return nil, fmt.Errorf("verify: discovery of %s has no jwks_uri", v.cfg.Issuer)
	}
	return &d, nil
}

// getJSON GETs url and decodes a 200 answer of at most 1 MiB.
func (v *Verifier) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// keySet is an immutable set of verification keys plus a small cache of
// the headers seen with them: a token's header segment is looked up
// before anything is decoded, so a token signed with a known key costs no
// header parsing.
type keySet struct {
	byKid   map[string]*publicKey
	headers atomic.Pointer[map[string]*publicKey]
}

// maxHeaders bounds the header cache of a key set.
const maxHeaders = 64

func newKeySet(byKid map[string]*publicKey) *keySet {
	ks := &keySet{byKid: byKid}
	empty := map[string]*publicKey{}
	ks.headers.Store(&empty)
	return ks
}

// keyCache holds the issuer's keys and refetches them on an unknown kid,
// at most once per Config.KeyRefetchFloor.
type keyCache struct {
	v   *Verifier
	set atomic.Pointer[keySet]

	mu        sync.Mutex // serialises fetches
	lastFetch time.Time
}

func newKeyCache(v *Verifier) *keyCache {
	kc := &keyCache{v: v}
	kc.set.Store(newKeySet(map[string]*publicKey{}))
	return kc
}

// forHeader returns the key a header segment names, after checking the
// header. An unknown kid triggers a refetch unless one happened within the
// floor period.
func (kc *keyCache) forHeader(ctx context.Context, seg string) (*publicKey, error) {
	ks := kc.set.Load()
	if k := (*ks.headers.Load())[seg]; k != nil {
		return k, nil
	}
	h, err := parseHeader(seg)
	if err != nil {
		return nil, err
	}
	k := ks.byKid[h.Kid]
	if k == nil && kc.refetch(ctx) {
		ks = kc.set.Load()
		k = ks.byKid[h.Kid]
	}
	if k == nil {
		return nil, invalid("the token is signed with an unknown key")
	}
	if h.Alg != k.alg {
		return nil, invalid("the token's algorithm is not its key's")
	}
	old := ks.headers.Load()
	if len(*old) < maxHeaders {
		next := make(map[string]*publicKey, len(*old)+1)
		for s, pk := range *old {
			next[s] = pk
		}
		next[seg] = k
		ks.headers.CompareAndSwap(old, &next)
	}
	return k, nil
}

// refetch fetches the JWKS again unless the last fetch was within the
// floor period; it reports whether it fetched.
func (kc *keyCache) refetch(ctx context.Context) bool {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if kc.v.now().Sub(kc.lastFetch) < kc.v.cfg.KeyRefetchFloor {
		return false
	}
	if err := kc.fetchLocked(ctx); err != nil {
		kc.v.logger.Warn("verify: refetch JWKS", "err", err)
		return false
	}
	return true
}

// fetch fetches the JWKS now.
func (kc *keyCache) fetch(ctx context.Context) error {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	return kc.fetchLocked(ctx)
}

func (kc *keyCache) fetchLocked(ctx context.Context) error {
	kc.lastFetch = kc.v.now()
	kc.v.metrics.jwksFetches.Inc()
	var set jose.JSONWebKeySet
	if err := kc.v.getJSON(ctx, kc.v.meta.JWKSURI, &set); err != nil {
		return fmt.Errorf("verify: JWKS: %w", err)
	}
	byKid := make(map[string]*publicKey, len(set.Keys))
	for _, jwk := range set.Keys {
		if k := toPublicKey(jwk); k != nil {
			byKid[k.kid] = k
		}
	}
	kc.set.Store(newKeySet(byKid))
	return nil
}

// drop removes keys the revocation feed says are no longer published.
func (kc *keyCache) drop(kids map[string]bool) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	old := kc.set.Load()
	byKid := make(map[string]*publicKey, len(old.byKid))
	for kid, k := range old.byKid {
		if !kids[kid] {
			byKid[kid] = k
		}
	}
	if len(byKid) != len(old.byKid) {
		kc.set.Store(newKeySet(byKid))
	}
}

// known reports whether kid is in the current set.
func (kc *keyCache) known(kid string) bool { return kc.set.Load().byKid[kid] != nil }

// toPublicKey turns a JWK into a verification key pinned to one
// algorithm: the JWK's alg if it names one that fits the key type, else the
// key type's (ES256/ES384/ES512 by curve, EdDSA, RS256). Keys for other
// uses than signatures, symmetric keys and unfitting algorithms are left
// out.
func toPublicKey(jwk jose.JSONWebKey) *publicKey {
	if jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") {
		return nil
	}
	pub := jwk.Public()
	k := &publicKey{kid: jwk.KeyID}
	switch p := pub.Key.(type) {
	case *ecdsa.PublicKey:
		k.ec = p
		switch p.Curve {
		case elliptic.P256():
			k.alg, k.hash, k.size = "ES256", crypto.SHA256, 32
		case elliptic.P384():
			k.alg, k.hash, k.size = "ES384", crypto.SHA384, 48
		case elliptic.P521():
			k.alg, k.hash, k.size = "ES512", crypto.SHA512, 66
		default:
			return nil
		}
	case ed25519.PublicKey:
		k.ed, k.alg = p, "EdDSA"
	case *rsa.PublicKey:
		if p.N.BitLen() < 2048 {
			return nil
		}
		k.rsa, k.alg, k.hash = p, "RS256", crypto.SHA256
		switch jwk.Algorithm {
		case "RS384":
			k.alg, k.hash = "RS384", crypto.SHA384
		case "RS512":
			k.alg, k.hash = "RS512", crypto.SHA512
		}
	default:
		return nil
	}
	if jwk.Algorithm != "" && jwk.Algorithm != k.alg {
		return nil
	}
	return k
}
