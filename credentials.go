package gatehouse

import (
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// Lengths of generated credentials. The alphabet is base62, so that a
// double-click selects a whole credential.
const (
	ClientIDLength = 20 // ~119 bits
	SecretLength   = 43 // ~256 bits
	checksumLength = 6
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomString returns n characters drawn uniformly from the base62 alphabet,
// reading randomness from r (crypto/rand.Reader outside tests).
func RandomString(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("read randomness: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps the draw uniform.
			if b < 248 && len(out) < n {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out), nil
}

// NewClientID returns a new random client id.
func NewClientID(r io.Reader) (string, error) { return RandomString(r, ClientIDLength) }

// NewSecret returns a new random client secret with 256 bits of randomness.
func NewSecret(r io.Reader) (string, error) { return RandomString(r, SecretLength) }

// APIKeyPrefix returns the prefix of API keys of an environment:
// "gh_sbx_" for sandbox, "gh_prd_" for production, "gh_adm_" for admin and
// "gh_env_" for any other environment. Secret scanners can match on it.
func APIKeyPrefix(env string) string {
	switch env {
	case EnvSandbox:
		return "gh_sbx_"
	case EnvProduction:
		return "gh_prd_"
	case EnvAdmin:
		return "gh_adm_"
	}
	return "gh_env_"
}

// APIKeyPrefixFor returns the prefix of API keys of environment e: the
// production prefix for an environment marked production, whatever its
// name, else APIKeyPrefix of its name.
func APIKeyPrefixFor(e *Environment) string {
	if e.Production {
		return APIKeyPrefix(EnvProduction)
	}
	return APIKeyPrefix(e.Name)
}

// FormatAPIKeyFor is FormatAPIKey with the prefix of environment e
// (APIKeyPrefixFor).
func FormatAPIKeyFor(e *Environment, clientID, secret string) string {
	body := APIKeyPrefixFor(e) + clientID + secret
	return body + checksum(body)
}

// FormatAPIKey returns the single-string form of a client credential:
// prefix, client id, secret, and a 6-character base62 CRC-32 checksum of all
// that precedes it (docs/api-keys.md).
func FormatAPIKey(env, clientID, secret string) string {
	body := APIKeyPrefix(env) + clientID + secret
	return body + checksum(body)
}

// ParseAPIKey splits an API key into client id and secret. A key of the wrong
// shape or with a bad checksum is rejected before any lookup.
func ParseAPIKey(key string) (clientID, secret string, err error) {
	const bodyLen = ClientIDLength + SecretLength + checksumLength
	if len(key) != len("gh_xxx_")+bodyLen || !strings.HasPrefix(key, "gh_") || key[6] != '_' {
		return "", "", Errorf(EINVALID, "malformed API key")
	}
	for i := 7; i < len(key); i++ {
		if strings.IndexByte(base62, key[i]) < 0 {
			return "", "", Errorf(EINVALID, "malformed API key")
		}
	}
	n := len(key) - checksumLength
	if checksum(key[:n]) != key[n:] {
		return "", "", Errorf(EINVALID, "API key checksum mismatch")
	}
	return key[7 : 7+ClientIDLength], key[7+ClientIDLength : n], nil
}

// LooksLikeAPIKey reports whether s has the API-key prefix shape.
func LooksLikeAPIKey(s string) bool {
	return len(s) > 7 && strings.HasPrefix(s, "gh_") && s[6] == '_'
}

func checksum(s string) string {
	v := crc32.ChecksumIEEE([]byte(s))
	out := make([]byte, checksumLength)
	for i := checksumLength - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out)
}
