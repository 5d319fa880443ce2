package gatehouse

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Client keys: a client that authenticates with private_key_jwt (RFC 7523
// §2.2) registers the public keys it signs its assertions with, either as a
// JWK Set (RFC 7517 §5) or as PEM "PUBLIC KEY" blocks. Only public keys are
// ever accepted or stored.

// MaxClientKeysBytes bounds a registered JWK Set or PEM text.
const MaxClientKeysBytes = 64 << 10

// MaxClientKeys is the most public keys a client may register.
const MaxClientKeys = 10

// AssertionAlgorithms are the JWS algorithms a client assertion may be
// signed with: asymmetric only, never "none" or HMAC, so that a public key
// can never serve as a shared secret.
var AssertionAlgorithms = []string{"ES256", "ES384", "EdDSA", "PS256", "RS256"}

// HasAssertionKeys reports whether the client registered public keys for
// private_key_jwt.
func (c *Client) HasAssertionKeys() bool { return c.JWKS != "" || c.PublicKeyPEM != "" }

// AssertionKeys returns the client's registered public keys as JWKs, each
// with a kid (the RFC 7638 thumbprint where none was given) and the
// algorithms it may verify (see KeyAlgorithms).
func (c *Client) AssertionKeys() ([]jose.JSONWebKey, error) {
	return ParseClientKeys(c.JWKS, c.PublicKeyPEM)
}

// ParseClientKeys parses a client's registered keys: jwks, a JWK Set, or
// pemText, one or more PEM PUBLIC KEY blocks; at most one of them. Both empty
// is no keys. Private, symmetric, unsupported or weak keys, duplicate kids
// and more than MaxClientKeys keys are EINVALID errors.
func ParseClientKeys(jwks, pemText string) ([]jose.JSONWebKey, error) {
	switch {
	case jwks != "" && pemText != "":
		return nil, Errorf(EINVALID, "register either a JWK Set or a PEM public key, not both")
	case len(jwks) > MaxClientKeysBytes || len(pemText) > MaxClientKeysBytes:
		return nil, Errorf(EINVALID, "client keys must be at most %d bytes", MaxClientKeysBytes)
	case jwks != "":
		return parseJWKS(jwks)
	case pemText != "":
		return parsePEMKeys(pemText)
	}
	return nil, nil
}

func parseJWKS(text string) ([]jose.JSONWebKey, error) {
	// Decode key by key, so that a private or symmetric key is reported as
	// such rather than as a decoding failure.
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil || raw.Keys == nil {
		return nil, Errorf(EINVALID, `jwks must be a JWK Set: a JSON object {"keys":[...]}`)
	}
	list := make([]jose.JSONWebKey, 0, len(raw.Keys))
	for i, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			return nil, Errorf(EINVALID, "jwks key %d is not a valid JWK", i+1)
		}
		if !k.IsPublic() {
			return nil, Errorf(EINVALID, "jwks key %d is not a public key: register public keys only (no private or symmetric keys)", i+1)
		}
		if k.Use != "" && k.Use != "sig" {
			return nil, Errorf(EINVALID, `jwks key %d has use %q; client keys sign ("sig")`, i+1, k.Use)
		}
		list = append(list, k)
	}
	return checkClientKeys(list)
}

func parsePEMKeys(text string) ([]jose.JSONWebKey, error) {
	var list []jose.JSONWebKey
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			if strings.Contains(block.Type, "PRIVATE") {
				return nil, Errorf(EINVALID, "public_key_pem holds a private key: register the public key only")
			}
			return nil, Errorf(EINVALID, "public_key_pem: PEM block %q is not a PUBLIC KEY", block.Type)
		}
		if err != nil {
			return nil, Errorf(EINVALID, "public_key_pem: the PUBLIC KEY block does not parse")
		}
		list = append(list, jose.JSONWebKey{Key: pub, Use: "sig"})
	}
	if len(list) == 0 || strings.TrimSpace(string(rest)) != "" {
		return nil, Errorf(EINVALID, "public_key_pem must be one or more PEM PUBLIC KEY blocks")
	}
	return checkClientKeys(list)
}

// checkClientKeys checks the number, types, strength and algorithms of the
// keys, gives every key without a kid its thumbprint, and refuses duplicate
// kids.
func checkClientKeys(list []jose.JSONWebKey) ([]jose.JSONWebKey, error) {
	if len(list) == 0 {
		return nil, Errorf(EINVALID, "register at least one public key")
	}
	if len(list) > MaxClientKeys {
		return nil, Errorf(EINVALID, "a client registers at most %d public keys", MaxClientKeys)
	}
	seen := map[string]bool{}
	for i := range list {
		k := &list[i]
		algs := KeyAlgorithms(k.Key)
		if len(algs) == 0 {
			return nil, Errorf(EINVALID, "key %d: only RSA (2048 bits or more), EC P-256/P-384 and Ed25519 keys are supported", i+1)
		}
		if k.Algorithm != "" && !contains(algs, k.Algorithm) {
			return nil, Errorf(EINVALID, "key %d: alg %q does not fit the key; use one of %s", i+1, k.Algorithm, strings.Join(algs, ", "))
		}
		if k.KeyID == "" {
			sum, err := k.Thumbprint(crypto.SHA256)
			if err != nil {
				return nil, Errorf(EINVALID, "key %d cannot be fingerprinted", i+1)
			}
			k.KeyID = base64.RawURLEncoding.EncodeToString(sum)
		}
		if seen[k.KeyID] {
			return nil, Errorf(EINVALID, "key id %q appears twice", k.KeyID)
		}
		seen[k.KeyID] = true
	}
	return list, nil
}

// KeyAlgorithms returns the assertion algorithms a public key verifies:
// none for an unsupported or weak key.
func KeyAlgorithms(pub any) []string {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256():
			return []string{"ES256"}
		case elliptic.P384():
			return []string{"ES384"}
		}
	case ed25519.PublicKey:
		return []string{"EdDSA"}
	case *rsa.PublicKey:
		if p.N.BitLen() >= 2048 {
			return []string{"PS256", "RS256"}
		}
	}
	return nil
}

// PublicJWKS returns keys as a JWK Set document.
func PublicJWKS(keys []jose.JSONWebKey) (string, error) {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		return "", Errorf(EINVALID, "client keys cannot be encoded")
	}
	return string(b), nil
}
