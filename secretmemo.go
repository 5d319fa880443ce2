package gatehouse

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
)

// SecretMemo remembers, in memory only, the imported secrets that were
// presented and verified, so that only the first presentation of such a
// secret pays for its slow hash (bcrypt, PBKDF2). It keeps an HMAC of each
// verified secret under a key drawn at start and never stored, so neither
// the secret nor a fast hash of it that outlives the process is kept. It is
// safe for concurrent use; at MaxEntries it forgets everything and starts
// again.
type SecretMemo struct {
	key  [32]byte
	max  int
	gate SlowHashGate // nil admits every slow hash

	mu      sync.RWMutex
	entries map[memoKey][sha256.Size]byte
}

type memoKey struct {
	clientID string
	secretID int64
	imported string
}

// DefaultMemoEntries is the size of a SecretMemo made with max 0.
const DefaultMemoEntries = 1 << 17

// NewSecretMemo returns a memo keyed with 32 bytes from r (crypto/rand.Reader
// outside tests) holding at most max entries (0 for DefaultMemoEntries).
func NewSecretMemo(r io.Reader, max int) (*SecretMemo, error) {
	m := &SecretMemo{max: max, entries: map[memoKey][sha256.Size]byte{}}
	if m.max <= 0 {
		m.max = DefaultMemoEntries
	}
	if _, err := io.ReadFull(r, m.key[:]); err != nil {
		return nil, fmt.Errorf("secret memo key: %w", err)
	}
	return m, nil
}

// SlowHashGate bounds the slow hashes (bcrypt, PBKDF2: ImportedHashSlow) a
// server computes to check presented secrets it has not verified before:
// every wrong secret sent for a client whose secret is under such a hash
// costs one, which would otherwise let anyone spend the server's CPU.
// AllowSlowHash reports whether one may be computed now for clientID; when
// it is refused the secret counts as wrong, unchecked.
type SlowHashGate interface {
	AllowSlowHash(clientID string) bool
}

// SetSlowHashGate makes m ask g before each slow hash it computes. Call it
// before m is used.
func (m *SecretMemo) SetSlowHashGate(g SlowHashGate) { m.gate = g }

func (m *SecretMemo) mac(k memoKey, secret string) [sha256.Size]byte {
	h := hmac.New(sha256.New, m.key[:])
	fmt.Fprintf(h, "%d:%s:%d:%s\x00", len(k.clientID), k.clientID, k.secretID, k.imported)
	h.Write([]byte(secret))
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// verify reports whether secret matches s, an imported secret of client
// clientID: from the memo when it was verified before, else by its imported
// hash (remembering a match), if the gate admits a slow one. A nil memo
// always checks the imported hash.
func (m *SecretMemo) verify(clientID string, s *Secret, secret string) bool {
	if m == nil {
		return VerifyImportedHash(s.Imported, secret)
	}
	k := memoKey{clientID, s.ID, s.Imported}
	mac := m.mac(k, secret)
	m.mu.RLock()
	known, ok := m.entries[k]
	m.mu.RUnlock()
	if ok && hmac.Equal(known[:], mac[:]) {
		return true
	}
	if m.gate != nil && ImportedHashSlow(s.Imported) && !m.gate.AllowSlowHash(clientID) {
		return false
	}
	if !VerifyImportedHash(s.Imported, secret) {
		return false
	}
	m.mu.Lock()
	if len(m.entries) >= m.max {
		clear(m.entries)
	}
	m.entries[k] = mac
	m.mu.Unlock()
	return true
}

// Len returns the number of remembered secrets.
func (m *SecretMemo) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.entries)
}
