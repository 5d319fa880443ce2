package tokens

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// Token reuse: while a client holds an unexpired token for the
// same scope and audience, a request gets that token back with the
// remaining lifetime. Reuse is keyed by client, secret, format, scope and
// audience, so each credential of a client has its own token.
//
// A reused token is answered from memory. The first request after a start
// (or on a replica that has not seen the token) reads the stored token, and
// minting a new reusable token writes it once: a write per token lifetime,
// not per request. When the store cannot be read or written, the request
// gets a fresh token that is not recorded, so that the token path never
// waits on the database; reuse resumes once the store answers. Stored tokens are sealed (AES-256-GCM) under a key
// derived from the client secret they were issued to, so the database alone
// does not reveal them; the client presents that secret on every request.

// reuseStoreTimeout bounds each read and write of the reusable-token store
// on the token path.
const reuseStoreTimeout = 2 * time.Second

// minRemaining is the least lifetime a token must have left to be reused.
const minRemaining = time.Second

// reuseCache holds reusable tokens in memory and collapses concurrent
// identical requests into one issuance.
type reuseCache struct {
	mu     sync.Mutex
	tokens map[string]reusedToken // client id + "\x00" + reuse key
	group  singleflight.Group
}

type reusedToken struct {
	value     string
	expiresAt time.Time
}

func (c *reuseCache) get(k string, now time.Time) (reusedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tokens[k]
	if ok && t.expiresAt.Sub(now) < minRemaining {
		delete(c.tokens, k)
		return reusedToken{}, false
	}
	return t, ok
}

func (c *reuseCache) put(k string, t reusedToken) {
	c.mu.Lock()
	if c.tokens == nil {
		c.tokens = map[string]reusedToken{}
	}
	c.tokens[k] = t
	c.mu.Unlock()
}

// reuseKey names what a token was issued for.
func reuseKey(secretID int64, format, scope, aud string) string {
	h := sha256.New()
	for _, part := range []string{strconv.FormatInt(secretID, 10), format, scope, aud} {
		io.WriteString(h, part)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// issueReusable returns the client's live token for scope and aud, or mints,
// stores and returns a new one; secret is the one the client presented, with
// id secretID.
func (i *Issuer) issueReusable(ctx context.Context, env *cache.Environment, c *gatehouse.Client, secret string, secretID int64,
	s gatehouse.TokenSettings, scope, aud string) (*Token, error) {
	key := reuseKey(secretID, s.Format, scope, aud)
	mk := c.ID + "\x00" + key
	if t, ok := i.reused.get(mk, i.now()); ok {
		return i.reusedResult(t, c, env, scope), nil
	}
	v, err, _ := i.reused.group.Do(mk, func() (any, error) {
		// Shared by every caller waiting here, and short: a slow store
		// gets a fresh unrecorded token rather than a slow answer.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reuseStoreTimeout)
		defer cancel()
		now := i.now()
		if t, ok := i.reused.get(mk, now); ok {
			return t, nil
		}
		stored, err := i.store.ReusableToken(ctx, c.ID, key)
		switch {
		case err == nil && stored.ExpiresAt.Sub(now) >= minRemaining:
			if value, err := unseal(secret, c.ID, key, stored.Sealed); err == nil {
				t := reusedToken{value: value, expiresAt: stored.ExpiresAt}
				i.reused.put(mk, t)
				return t, nil
			}
		case err != nil && !errors.Is(err, gatehouse.ErrNotFound):
			return i.unrecorded(ctx, env, c, s, scope, aud, secretID, err)
		}
		tok, err := i.mint(env, c, s, scope, aud, secretID)
		if err != nil {
			return nil, err
		}
		sealed, err := seal(i.rand, secret, c.ID, key, tok.AccessToken)
		if err != nil {
			return nil, err
		}
		winner, err := i.store.PutReusableToken(ctx, &gatehouse.ReusableToken{
			ClientID: c.ID, Key: key, Environment: env.Name, Sealed: sealed,
			IssuedAt: now, ExpiresAt: tok.ExpiresAt,
		})
		if err != nil {
			i.storeDownWarning(ctx, c, err)
			return reusedToken{value: tok.AccessToken, expiresAt: tok.ExpiresAt}, nil // valid, not recorded
		}
		t := reusedToken{value: tok.AccessToken, expiresAt: tok.ExpiresAt}
		if string(winner.Sealed) != string(sealed) { // another replica issued first
			value, err := unseal(secret, c.ID, key, winner.Sealed)
			if err != nil {
				return nil, fmt.Errorf("open the stored reusable token: %w", err)
			}
			t = reusedToken{value: value, expiresAt: winner.ExpiresAt}
		}
		i.reused.put(mk, t)
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return i.reusedResult(v.(reusedToken), c, env, scope), nil
}

// unrecorded mints a fresh token when the store of reusable tokens cannot
// be read: the token path must not depend on the database. The token is
// neither stored nor kept in memory, so reuse resumes with a recorded token
// once the store answers again.
func (i *Issuer) unrecorded(ctx context.Context, env *cache.Environment, c *gatehouse.Client, s gatehouse.TokenSettings,
	scope, aud string, secretID int64, storeErr error) (reusedToken, error) {
	i.storeDownWarning(ctx, c, storeErr)
	tok, err := i.mint(env, c, s, scope, aud, secretID)
	if err != nil {
		return reusedToken{}, err
	}
	return reusedToken{value: tok.AccessToken, expiresAt: tok.ExpiresAt}, nil
}

func (i *Issuer) storeDownWarning(ctx context.Context, c *gatehouse.Client, err error) {
	i.logger.WarnContext(ctx, "the store of reusable tokens failed: issuing a fresh token that is not recorded for reuse",
		"client_id", c.ID, "environment", c.Environment, "err", err)
}

// reusedResult answers with t and its remaining lifetime, rounded up to
// whole seconds so that a token minted a moment ago shows its full lifetime.
func (i *Issuer) reusedResult(t reusedToken, c *gatehouse.Client, env *cache.Environment, scope string) *Token {
	return &Token{
		AccessToken: t.value, ExpiresAt: t.expiresAt, ExpiresIn: int64((t.expiresAt.Sub(i.now()) + time.Second - 1) / time.Second),
		Scope: scope, Client: c, Environment: env.Name,
	}
}

// sealKey derives the AES-256 key that seals a client's reusable token from
// the client secret it was issued to.
func sealKey(secret, clientID, key string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, "gatehouse/reusable-token/v1\x00"+clientID+"\x00"+key)
	return m.Sum(nil)
}

func newGCM(secret, clientID, key string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(sealKey(secret, clientID, key))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts token; the result is nonce || ciphertext.
func seal(r io.Reader, secret, clientID, key, token string) ([]byte, error) {
	aead, err := newGCM(secret, clientID, key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(token)+aead.Overhead())
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, fmt.Errorf("read randomness: %w", err)
	}
	return aead.Seal(nonce, nonce, []byte(token), []byte(clientID+"\x00"+key)), nil
}

// unseal opens what seal produced.
func unseal(secret, clientID, key string, sealed []byte) (string, error) {
	aead, err := newGCM(secret, clientID, key)
	if err != nil {
		return "", err
	}
	if len(sealed) < aead.NonceSize() {
		return "", errors.New("sealed token too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(clientID+"\x00"+key))
	if err != nil {
		return "", errors.New("sealed token does not open with this secret")
	}
	return string(plain), nil
}
