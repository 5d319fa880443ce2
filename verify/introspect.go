package verify

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// introspection is the part of an RFC 7662 answer the verifier reads.
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope"`
	ClientID  string   `json:"client_id"`
	ExpiresAt int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	Subject   string   `json:"sub"`
	Audience  Audience `json:"aud"`
	Issuer    string   `json:"iss"`
	ID        string   `json:"jti"`
	AccountID int64    `json:"account_id"`
	SecretID  int64    `json:"secret_id"`
}

// introspect checks an opaque token (or, under IntrospectWhenStale, any
// token) by RFC 7662 introspection, reusing an earlier answer for at most
// Config.IntrospectionCacheTTL and never past the token's expiry.
// Revocations the feed reports apply to cached answers too.
func (v *Verifier) introspect(ctx context.Context, token string) (*Claims, error) {
	if v.meta.IntrospectionEndpoint == "" || v.cfg.ClientID == "" {
		return nil, invalid("opaque tokens cannot be checked here")
	}
	now := v.now()
	key := sha256.Sum256([]byte(token))
	if c, ok := v.intro.get(key, now); ok {
		if err := v.checkTimes(c, now); err != nil {
			return nil, err
		}
		if v.revoked.Load().has(c, now) {
			return nil, invalid("the token was revoked")
		}
		return c, nil
	}
	v.metrics.introspections.Inc()
	ans, err := v.askIntrospection(ctx, token)
	if err != nil {
		v.logger.Warn("verify: introspection failed", "issuer", v.cfg.Issuer, "err", err)
		return nil, unavailable("the token could not be checked now")
	}
	if !ans.Active {
		return nil, invalid("the token is not active")
	}
	c := &Claims{
		Issuer: ans.Issuer, Subject: ans.Subject, Audience: ans.Audience, ExpiresAt: ans.ExpiresAt,
		NotBefore: ans.NotBefore, IssuedAt: ans.IssuedAt, ID: ans.ID, ClientID: ans.ClientID,
		Scope: ans.Scope, AccountID: ans.AccountID, SecretID: ans.SecretID,
	}
	if err := v.checkClaims(c); err != nil {
		return nil, err
	}
	if err := v.checkTimes(c, now); err != nil {
		return nil, err
	}
	if v.revoked.Load().has(c, now) {
		return nil, invalid("the token was revoked")
	}
	until := min(now.Add(v.cfg.IntrospectionCacheTTL).Unix(), c.ExpiresAt)
	v.intro.put(key, c, until)
	return c, nil
}

// askIntrospection posts the token to the introspection endpoint,
// authenticated as the configured client.
func (v *Verifier) askIntrospection(ctx context.Context, token string) (*introspection, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.meta.IntrospectionEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(v.cfg.ClientID), url.QueryEscape(v.cfg.ClientSecret))
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Code: ErrUnavailable, Description: "introspection answered " + resp.Status}
	}
	var ans introspection
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans); err != nil {
		return nil, err
	}
	return &ans, nil
}

// introspectionCache keeps introspection answers in two generations of at
// most half the size each: when the young one is full it becomes the old
// one, so memory stays bounded and recently used entries survive.
type introspectionCache struct {
	mu    sync.Mutex
	half  int
	young map[[32]byte]cachedAnswer
	old   map[[32]byte]cachedAnswer
}

type cachedAnswer struct {
	claims *Claims
	until  int64 // Unix seconds
}

func newIntrospectionCache(size int) *introspectionCache {
	half := max(size/2, 1)
	return &introspectionCache{half: half, young: map[[32]byte]cachedAnswer{}, old: map[[32]byte]cachedAnswer{}}
}

func (c *introspectionCache) get(key [32]byte, now time.Time) (*Claims, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.young[key]
	if !ok {
		if a, ok = c.old[key]; ok {
			c.putLocked(key, a)
		}
	}
	if !ok || now.Unix() >= a.until {
		return nil, false
	}
	return a.claims, true
}

func (c *introspectionCache) put(key [32]byte, claims *Claims, until int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(key, cachedAnswer{claims: claims, until: until})
}

func (c *introspectionCache) putLocked(key [32]byte, a cachedAnswer) {
	if len(c.young) >= c.half {
		c.old, c.young = c.young, make(map[[32]byte]cachedAnswer, c.half)
	}
	c.young[key] = a
}

// dropRevoked forgets the answers about revoked tokens, clients and
// secrets.
func (c *introspectionCache) dropRevoked(r *revocations, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[[32]byte]cachedAnswer{c.young, c.old} {
		for k, a := range m {
			if r.has(a.claims, now) {
				delete(m, k)
			}
		}
	}
}
