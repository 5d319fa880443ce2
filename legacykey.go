package gatehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// A legacy API key is a single-string credential of another server, without
// Gatehouse's prefix and checksum and without a client id inside (Lemonway's
// UUID-shaped keys, say). An imported legacy key becomes the secret of a
// client whose id is derived from the key (LegacyKeyClientID), so the one
// string still finds its client, from memory, at every endpoint that takes
// an API key. Only strong keys qualify (ValidLegacyKey): the id is a fast
// hash of the key.

// LegacyKeyPrefix starts the id of a client imported with a legacy API key.
// Native client ids are base62 and never hold "-".
const LegacyKeyPrefix = "lk-"

// LegacyKeyClientID returns the id of the client of legacy API key key:
// "lk-" and 24 hex digits of a SHA-256 of the key.
func LegacyKeyClientID(key string) string {
	h := sha256.Sum256([]byte("gatehouse legacy API key\x00" + key))
	return LegacyKeyPrefix + hex.EncodeToString(h[:12])
}

// ValidLegacyKey reports whether key may be a legacy API key: 32 to 256
// printable characters without spaces, carrying at least 128 bits by
// StrongSecret's estimate (a UUID does), and not shaped like a Gatehouse
// API key.
func ValidLegacyKey(key string) bool {
	if len(key) < 32 || len(key) > 256 || LooksLikeAPIKey(key) || !StrongSecret(key) {
		return false
	}
	return !strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' })
}

// IsLegacyKeyClient reports whether id is the id of a client imported with
// a legacy API key, which should be replaced by a new client (with a
// Gatehouse API key).
func IsLegacyKeyClient(id string) bool { return strings.HasPrefix(id, LegacyKeyPrefix) }
