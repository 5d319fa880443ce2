package cache

import (
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// clientEntry is what the cache keeps of a client: what authentication and
// issuing read, and nothing else. The parts many clients share (environment,
// status, scopes, audiences, allowlist, token overrides) are one interned
// clientShape; the secrets' hashes are inline. A client of a rarer kind
// (private_key_jwt keys, an imported secret hash, the must-rotate mark, a
// secret whose expiry a nanosecond count cannot hold) is kept whole in full
// instead. A field that authentication reads and the entry does not hold
// must make compact false.
//
// A cached client thus costs its id, its slot (about 130 bytes, in the
// shard's slice, with three pointers) and an index entry (pointer-free),
// where a whole gatehouse.Client costs a dozen allocations and about 1 KiB.
// Lookups hand out a gatehouse.Client built from the entry (one allocation,
// on the entry's first hit; boundedSet keeps it while the entry is in use)
// that lacks what no token request reads: the name, the times of creation
// and update, the version, secrets' creation times and sealed copies.
type clientEntry struct {
	shape   *clientShape
	full    *gatehouse.Client // the whole client, for rare kinds; shape is nil then
	account int64
	secrets [gatehouse.MaxSecrets]entrySecret
	n       uint8 // secrets in use
}

// entrySecret is a native secret: its id, SHA-256 hash and expiry.
type entrySecret struct {
	id      int64
	expires int64 // unix nanoseconds; 0 for never
	hash    [32]byte
}

// clientShape is the part of a client that many clients share.
type clientShape struct {
	environment string
	status      string
	scopes      []string
	audiences   []string
	cidrs       []netip.Prefix
	tokens      gatehouse.TokenOverrides
}

// newClientEntry returns the entry of c, sharing c's shape with clients
// already cached through shapes.
func newClientEntry(c *gatehouse.Client, shapes *shapeTable) clientEntry {
	if !compact(c) {
		return clientEntry{full: c}
	}
	e := clientEntry{shape: shapes.intern(c), account: c.AccountID, n: uint8(len(c.Secrets))}
	for i, s := range c.Secrets {
		e.secrets[i] = entrySecret{id: s.ID, hash: s.Hash}
		if !s.ExpiresAt.IsZero() {
			e.secrets[i].expires = s.ExpiresAt.UnixNano()
		}
	}
	return e
}

// compact reports whether c fits a compact entry.
func compact(c *gatehouse.Client) bool {
	if c.JWKS != "" || c.PublicKeyPEM != "" || c.MustRotate || len(c.Secrets) > gatehouse.MaxSecrets {
		return false
	}
	for _, s := range c.Secrets {
		if s.Imported != "" {
			return false
		}
		// UnixNano holds years 1678 to 2262; 0 stands for "never".
		if !s.ExpiresAt.IsZero() && (s.ExpiresAt.Year() < 1971 || s.ExpiresAt.Year() > 2261) {
			return false
		}
	}
	return true
}

// entryClient is a gatehouse.Client with room for its secrets, so that a
// lookup allocates once.
type entryClient struct {
	gatehouse.Client
	secrets [gatehouse.MaxSecrets]gatehouse.Secret
}

// clientOf returns the client of entry e, whose id is id.
func clientOf(id string, e *clientEntry) *gatehouse.Client {
	if e.full != nil {
		return e.full
	}
	sh := e.shape
	ec := &entryClient{Client: gatehouse.Client{
		ID: id, Environment: sh.environment, AccountID: e.account, Status: sh.status,
		Scopes: sh.scopes, Audiences: sh.audiences, AllowedCIDRs: sh.cidrs, Tokens: sh.tokens,
	}}
	for i := range e.n {
		s := &e.secrets[i]
		ec.secrets[i] = gatehouse.Secret{ID: s.id, Hash: s.hash}
		if s.expires != 0 {
			ec.secrets[i].ExpiresAt = time.Unix(0, s.expires).UTC()
		}
	}
	if e.n > 0 {
		ec.Secrets = ec.secrets[:e.n:e.n]
	}
	return &ec.Client
}

// shapeTable interns client shapes: clients with equal shapes share one.
// It remembers at most maxShapes of them and starts afresh when full, so
// that clients with shapes of their own cannot grow it without bound (a
// forgotten shape lives on in the entries that use it).
type shapeTable struct {
	mu     sync.Mutex
	shapes map[string]*clientShape
}

const maxShapes = 4096

func (t *shapeTable) intern(c *gatehouse.Client) *clientShape {
	key := shapeKey(c)
	t.mu.Lock()
	defer t.mu.Unlock()
	if sh, ok := t.shapes[key]; ok {
		return sh
	}
	if t.shapes == nil || len(t.shapes) >= maxShapes {
		t.shapes = make(map[string]*clientShape)
	}
	sh := &clientShape{
		environment: c.Environment, status: c.Status, scopes: c.Scopes, audiences: c.Audiences,
		cidrs: c.AllowedCIDRs, tokens: c.Tokens,
	}
	t.shapes[key] = sh
	return sh
}

// shapeKey encodes the shape of c; equal keys mean equal shapes. Fields are
// separated by a byte that no scope, audience, environment or status holds.
func shapeKey(c *gatehouse.Client) string {
	var b strings.Builder
	field := func(s string) { b.WriteString(s); b.WriteByte(0) }
	field(c.Environment)
	field(c.Status)
	for _, list := range [][]string{c.Scopes, c.Audiences} {
		b.WriteString(strconv.Itoa(len(list)))
		b.WriteByte(0)
		for _, s := range list {
			field(s)
		}
	}
	field(strconv.Itoa(len(c.AllowedCIDRs)))
	for _, p := range c.AllowedCIDRs {
		field(p.String())
	}
	t := c.Tokens
	if t.Format != nil {
		b.WriteByte('f')
		field(*t.Format)
	}
	if t.Lifetime != nil {
		b.WriteByte('l')
		field(strconv.FormatInt(int64(*t.Lifetime), 10))
	}
	if t.Reuse != nil {
		b.WriteByte('r')
		field(strconv.FormatBool(*t.Reuse))
	}
	if t.DefaultAudience != nil {
		b.WriteByte('a')
		field(*t.DefaultAudience)
	}
	return b.String()
}
