package gatehouse

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// Client statuses.
const (
	ClientActive  = "active"
	ClientRevoked = "revoked"
)

// MaxSecrets is the most live secrets a client has: two, during the grace
// period of a rotation.
const MaxSecrets = 2

var scopeRE = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,128}$`) // RFC 6749 §3.3 scope-token

// Client is a credential a program authenticates with.
type Client struct {
	ID           string
	Environment  string
	AccountID    int64
	Name         string
	Scopes       []string // allowed scopes
	Audiences    []string // allowed audiences (RFC 8707)
	AllowedCIDRs []netip.Prefix
	Tokens       TokenOverrides
	Status       string
	Secrets      []Secret
	// JWKS (a JWK Set) or PublicKeyPEM (PEM PUBLIC KEY blocks), at most one,
	// are the public keys the client signs private_key_jwt assertions with
	// (clientkeys.go); both empty when it uses secrets only.
	JWKS         string
	PublicKeyPEM string
	// MustRotate marks a client imported from another server without a
	// usable credential: no secret or API key of it is accepted (the
	// token endpoint refuses it as it refuses a wrong secret) until its
	// secret is rotated or renewed, which issues a new one and clears the
	// flag. Its private_key_jwt keys, if any, still work.
	MustRotate bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version counts the stored writes of the client. UpdateClient is a
	// compare-and-swap on it, so that a write based on a stale read (an
	// update racing a rotation or a revocation) fails instead of undoing
	// the other write.
	Version int64
}

// Secret is one of a client's secrets, stored as its SHA-256 hash, or, for a
// secret imported from another server, under that server's hash (Imported).
type Secret struct {
	ID   int64
	Hash [sha256.Size]byte
	// Imported is the imported hash of the secret (importedhash.go); when
	// set, Hash is unused (zero) until the secret is re-hashed.
	Imported  string
	CreatedAt time.Time
	// ExpiresAt is when a rotated-out secret stops working; zero means never.
	ExpiresAt time.Time
	// Sealed is the secret encrypted under the master key, kept only where
	// the environment allows reveal; nil otherwise.
	Sealed []byte
}

// ClientFilter selects a page of clients, ordered by id.
type ClientFilter struct {
	Environment string // "" for all
	AccountID   int64  // 0 for all
	AfterID     string // only clients with a larger id
	Limit       int    // 0 means the store's default
}

// HashSecret returns the SHA-256 hash under which a secret is stored. Secrets
// carry 256 bits of randomness, so a slow password hash would add nothing.
func HashSecret(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// dummyHash is compared against when a client is unknown, so that an unknown
// client and a wrong secret take the same time.
var dummyHash = HashSecret("gatehouse-no-such-client")

// VerifySecret reports whether secret is one of c's live secrets at now
// (see MatchSecret).
func (c *Client) VerifySecret(secret string, now time.Time) bool {
	return c.Match(secret, now, nil).OK
}

// MatchSecret returns the id of the live secret (at now) that secret is (see
// Match).
func (c *Client) MatchSecret(secret string, now time.Time) (id int64, ok bool) {
	m := c.Match(secret, now, nil)
	return m.ID, m.OK
}

// SecretMatch is what Match found.
type SecretMatch struct {
	ID int64 // the matched secret's id
	OK bool
	// Imported is the imported hash the secret matched ("" for a native
	// secret): the caller may re-hash it (StrongSecret).
	Imported string
}

// Match returns the live secret (at now) that secret is. It compares against
// every native secret in constant time; a nil client compares against a
// dummy hash so that unknown clients cost the same as wrong secrets.
// Imported secrets are checked against memo first, and against their
// imported hash (slow for bcrypt and PBKDF2) only on a miss; a match is then
// remembered in memo. memo may be nil.
func (c *Client) Match(secret string, now time.Time, memo *SecretMemo) SecretMatch {
	h := HashSecret(secret)
	if c == nil {
		subtle.ConstantTimeCompare(h[:], dummyHash[:])
		return SecretMatch{}
	}
	var m SecretMatch
	for i := range c.Secrets {
		s := &c.Secrets[i]
		live := s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt)
		if s.Imported != "" {
			if !m.OK && live && memo.verify(c.ID, s, secret) {
				m = SecretMatch{ID: s.ID, OK: true, Imported: s.Imported}
			}
			continue
		}
		match := subtle.ConstantTimeCompare(h[:], s.Hash[:])
		if match == 1 && live {
			m = SecretMatch{ID: s.ID, OK: true}
		}
	}
	return m
}

// Active reports whether the client may obtain tokens.
func (c *Client) Active() bool { return c.Status == ClientActive }

// AllowsScope reports whether every scope in requested is allowed.
func (c *Client) AllowsScope(requested []string) bool {
	for _, s := range requested {
		if !contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

// AllowsAudience reports whether aud is one of the client's audiences.
func (c *Client) AllowsAudience(aud string) bool { return contains(c.Audiences, aud) }

// AllowsIP reports whether ip may use the client: true when the client has
// no allowlist.
func (c *Client) AllowsIP(ip netip.Addr) bool {
	if len(c.AllowedCIDRs) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, p := range c.AllowedCIDRs {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Validate checks the client's fields.
func (c *Client) Validate() error {
	if !ValidEnvironmentName(c.Environment) {
		return Errorf(EINVALID, "environment %q is not a valid environment name", c.Environment)
	}
	if strings.TrimSpace(c.Name) == "" || len(c.Name) > 200 {
		return Errorf(EINVALID, "client name must be 1-200 characters")
	}
	if c.AccountID <= 0 {
		return Errorf(EINVALID, "client needs an account")
	}
	for _, s := range c.Scopes {
		if !scopeRE.MatchString(s) {
			return Errorf(EINVALID, "scope %q is not a valid scope token", s)
		}
	}
	for _, a := range c.Audiences {
		if a == "" || len(a) > 512 || strings.ContainsAny(a, " \t\r\n") {
			return Errorf(EINVALID, "audience %q must be a non-empty string without spaces", a)
		}
	}
	if _, err := ParseClientKeys(c.JWKS, c.PublicKeyPEM); err != nil {
		return err
	}
	if len(c.Secrets) > MaxSecrets {
		return Errorf(EINVALID, "a client has at most %d secrets", MaxSecrets)
	}
	for _, s := range c.Secrets {
		if _, err := ParseImportedHash(s.Imported); s.Imported != "" && err != nil {
			return err
		}
	}
	switch c.Status {
	case ClientActive, ClientRevoked:
	default:
		return Errorf(EINVALID, "client status %q must be active or revoked", c.Status)
	}
	return nil
}

// ValidScope reports whether s is a valid RFC 6749 scope token.
func ValidScope(s string) bool { return scopeRE.MatchString(s) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
