package tokens

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// private_key_jwt client authentication (RFC 7523 §2.2, OpenID Connect Core
// §9): the client signs a short-lived JWT with a private key whose public
// half it registered, and sends it as client_assertion. The checks:
//
//   - the JWS algorithm is one of gatehouse.AssertionAlgorithms (never
//     "none" or HMAC, so a public key cannot serve as an HMAC secret) and
//     fits the key;
//   - iss = sub = the client id, of an active client of the environment
//     that registered keys;
//   - aud names this environment: its issuer or its token endpoint (also in
//     the /auth/realms form);
//   - exp is present, not passed, and at most MaxAssertionLifetime ahead;
//     nbf and iat, when present, are not in the future (AssertionLeeway of
//     clock skew either way);
//   - jti is present and used once. Single use holds across replicas: the
//     jti is recorded in the store (one write per private_key_jwt request,
//     none for secrets) until the assertion expires, and the store's
//     primary key lets one replica win. A small in-memory set answers
//     replays seen by this replica without a write.
//
// Every failure is the one invalid_client answer; the reason is logged at
// debug level, never the assertion.

// Client assertion parameters (RFC 7521 §4.2, RFC 7523 §2.2).
const (
	AuthPrivateKeyJWT       = "private_key_jwt"
	AssertionTypeJWTBearer  = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	MaxAssertionLifetime    = 10 * time.Minute
	AssertionLeeway         = 30 * time.Second
	maxAssertionIDBytes     = 512
	assertionStoreTimeout   = 5 * time.Second
	usedAssertionSweepEvery = time.Minute
)

var assertionAlgorithms = func() []jose.SignatureAlgorithm {
	out := make([]jose.SignatureAlgorithm, len(gatehouse.AssertionAlgorithms))
	for i, a := range gatehouse.AssertionAlgorithms {
		out[i] = jose.SignatureAlgorithm(a)
	}
	return out
}()

// assertionState is the Issuer's memory for client assertions: parsed client
// keys and the assertion ids this replica has seen used. Its zero value is
// ready.
type assertionState struct {
	mu       sync.Mutex
	keys     map[string]parsedClientKeys // client id → its parsed keys
	used     map[string]time.Time        // client id + "\x00" + jti → when it may be forgotten
	lastSwep time.Time
}

type parsedClientKeys struct {
	jwks, pem string
	keys      []jose.JSONWebKey
}

// clientKeys returns c's parsed keys, parsing them once per registration.
func (s *assertionState) clientKeys(c *gatehouse.Client) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	p, ok := s.keys[c.ID]
	s.mu.Unlock()
	if ok && p.jwks == c.JWKS && p.pem == c.PublicKeyPEM {
		return p.keys, nil
	}
	keys, err := c.AssertionKeys()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.keys == nil {
		s.keys = map[string]parsedClientKeys{}
	}
	s.keys[c.ID] = parsedClientKeys{jwks: c.JWKS, pem: c.PublicKeyPEM, keys: keys}
	s.mu.Unlock()
	return keys, nil
}

// seen reports whether this replica already saw k used and it still counts.
func (s *assertionState) seen(k string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.used[k]
	return ok && now.Before(until)
}

// remember records k as used until until, and now and then forgets what has
// expired.
func (s *assertionState) remember(k string, until, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used == nil {
		s.used = map[string]time.Time{}
	}
	s.used[k] = until
	if now.Sub(s.lastSwep) >= usedAssertionSweepEvery {
		for key, t := range s.used {
			if !now.Before(t) {
				delete(s.used, key)
			}
		}
		s.lastSwep = now
	}
}

// assertionClaims are the claims a client assertion is checked for.
type assertionClaims struct {
	jwt.Claims
}

// authenticateAssertion authenticates a private_key_jwt client.
func (i *Issuer) authenticateAssertion(env string, cr Credentials) (*gatehouse.Client, *cache.Environment, *Error) {
	r := i.checkAssertion(env, cr)
	switch {
	case r.reason != "":
		if i.logger != nil {
			i.logger.Debug("client assertion refused", "claimed_client_id", r.claimed, "environment", env, "reason", r.reason)
		}
		return nil, nil, errClientAuth()
	case r.oerr != nil:
		return nil, nil, r.oerr
	}
	return r.client, r.env, nil
}

// assertionResult is what checking an assertion found: the authenticated
// client and its environment, or why the assertion is refused (reason, for
// the log, with the client id it claimed), or an error that is not the
// client's fault (the store is down).
type assertionResult struct {
	client  *gatehouse.Client
	env     *cache.Environment
	claimed string
	reason  string
	oerr    *Error
}

func refuse(claimed, reason string) assertionResult {
	return assertionResult{claimed: claimed, reason: reason}
}

// checkAssertion checks a client assertion addressed to env ("" for any).
func (i *Issuer) checkAssertion(env string, cr Credentials) assertionResult {
	tok, err := jwt.ParseSigned(cr.Assertion, assertionAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return refuse("", "not a JWS signed with an allowed algorithm")
	}
	var unverified assertionClaims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return refuse("", "claims are not a JSON object")
	}
	claimed := unverified.Issuer
	switch {
	case unverified.Issuer == "":
		return refuse(claimed, "iss is missing")
	case unverified.Subject != unverified.Issuer:
		return refuse(claimed, "sub differs from iss")
	case cr.ClientID != "" && cr.ClientID != unverified.Issuer:
		return refuse(claimed, "client_id differs from the assertion's iss")
	}
	c := i.dir.Client(unverified.Issuer)
	if c == nil || !c.Active() || (env != "" && c.Environment != env) || !c.HasAssertionKeys() {
		return refuse(claimed, "no active client of this environment with registered keys")
	}
	e := i.dir.Environment(c.Environment)
	if e == nil {
		return refuse(claimed, "the client's environment is not loaded")
	}
	keys, err := i.assertions.clientKeys(c)
	if err != nil {
		return refuse(claimed, "the client's registered keys do not parse")
	}
	var claims assertionClaims
	if !verifyWithClientKey(tok, keys, &claims) {
		return refuse(claimed, "the signature does not verify with a registered key")
	}
	now := i.now()
	if reason := i.checkAssertionClaims(&claims, c, now); reason != "" {
		return refuse(claimed, reason)
	}
	// The record outlives the assertion by the leeway, as long as a clock
	// running behind would still accept it.
	until := claims.Expiry.Time().Add(AssertionLeeway)
	key := c.ID + "\x00" + claims.ID
	if i.assertions.seen(key, now) {
		return refuse(claimed, "jti was already used")
	}
	ctx, cancel := context.WithTimeout(context.Background(), assertionStoreTimeout)
	defer cancel()
	if err := i.store.UseAssertion(ctx, c.ID, claims.ID, until, now); err != nil {
		if errors.Is(err, gatehouse.ErrConflict) {
			i.assertions.remember(key, until, now)
			return refuse(claimed, "jti was already used")
		}
		if i.logger != nil {
			i.logger.Error("record client assertion", "client_id", c.ID, "environment", c.Environment, "err", err)
		}
		return assertionResult{oerr: NewError(ErrTemporarilyUnavailable, "the credential store is unreachable; retry later")}
	}
	i.assertions.remember(key, until, now)
	return assertionResult{client: c, env: e}
}

// verifyWithClientKey verifies tok with the registered key its header names
// (by kid), or with each key of a fitting algorithm when it names none, and
// decodes the claims into out. A kid that names no registered key is tried
// against the keys whose kid Gatehouse derived (a PEM key, or a JWK
// registered without kid, gets its RFC 7638 thumbprint): the client could
// not know that kid and signs with a kid of its own.
func verifyWithClientKey(tok *jwt.JSONWebToken, keys []jose.JSONWebKey, out *assertionClaims) bool {
	h := tok.Headers[0]
	named := h.KeyID == "" || slices.ContainsFunc(keys, func(k jose.JSONWebKey) bool { return k.KeyID == h.KeyID })
	for _, k := range keys {
		if named && h.KeyID != "" && h.KeyID != k.KeyID {
			continue
		}
		if !named && !derivedKeyID(k) {
			continue
		}
		if !slices.Contains(gatehouse.KeyAlgorithms(k.Key), h.Algorithm) || (k.Algorithm != "" && k.Algorithm != h.Algorithm) {
			continue
		}
		if err := tok.Claims(k.Key, out); err == nil {
			return true
		}
	}
	return false
}

// checkAssertionClaims checks a verified assertion's claims for client c at
// now; it returns why they are refused, or "".
func (i *Issuer) checkAssertionClaims(cl *assertionClaims, c *gatehouse.Client, now time.Time) string {
	switch {
	case cl.Issuer != c.ID || cl.Subject != c.ID:
		return "iss and sub must both be the client id"
	case !i.assertionAudienceOK(cl.Audience, c.Environment):
		return "aud names neither the issuer nor the token endpoint"
	case cl.Expiry == nil:
		return "exp is missing"
	case now.After(cl.Expiry.Time().Add(AssertionLeeway)):
		return "the assertion has expired"
	case cl.Expiry.Time().After(now.Add(MaxAssertionLifetime + AssertionLeeway)):
		return "exp is further ahead than the longest assertion lifetime allowed"
	case cl.NotBefore != nil && now.Add(AssertionLeeway).Before(cl.NotBefore.Time()):
		return "the assertion is not valid yet (nbf)"
	case cl.IssuedAt != nil && now.Add(AssertionLeeway).Before(cl.IssuedAt.Time()):
		return "the assertion was issued in the future (iat)"
	case cl.ID == "" || len(cl.ID) > maxAssertionIDBytes:
		return "jti is missing or too long"
	}
	return ""
}

// assertionAudienceOK reports whether aud names env's issuer or token
// endpoint (under /realms or /auth/realms).
func (i *Issuer) assertionAudienceOK(aud jwt.Audience, env string) bool {
	iss := i.issuerURL(env)
	base := strings.TrimSuffix(iss, "/realms/"+env)
	accepted := []string{
		iss,
		iss + "/protocol/openid-connect/token",
		base + "/auth/realms/" + env + "/protocol/openid-connect/token",
	}
	for _, a := range aud {
		if slices.Contains(accepted, a) {
			return true
		}
	}
	return false
}

// derivedKeyID reports whether k's kid is its RFC 7638 thumbprint, the kid
// Gatehouse gives a registered key that came without one.
func derivedKeyID(k jose.JSONWebKey) bool {
	sum, err := k.Thumbprint(crypto.SHA256)
	return err == nil && base64.RawURLEncoding.EncodeToString(sum) == k.KeyID
}
