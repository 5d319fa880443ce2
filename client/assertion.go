package client

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	cryptorand "crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // SHA-256 for ES256, RS256, PS256
	_ "crypto/sha512" // SHA-384 for ES384
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"time"
)

// cryptoRand is the default source of randomness.
var cryptoRand io.Reader = cryptorand.Reader

// ClientAssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// algorithm is how one JWS algorithm signs with a crypto.Signer.
type algorithm struct {
	hash    crypto.Hash // zero for EdDSA, which signs the message itself
	pss     bool
	ecBytes int // size of r and s for ECDSA, zero otherwise
	fits    func(crypto.PublicKey) bool
}

func isEC(bits int) func(crypto.PublicKey) bool {
	return func(k crypto.PublicKey) bool {
		ec, ok := k.(*ecdsa.PublicKey)
		return ok && ec.Curve.Params().BitSize == bits
	}
}

func isRSA(k crypto.PublicKey) bool { r, ok := k.(*rsa.PublicKey); return ok && r.N.BitLen() >= 2048 }

func isEd25519(k crypto.PublicKey) bool { _, ok := k.(ed25519.PublicKey); return ok }

// algorithms are the JWS algorithms Gatehouse accepts for client
// assertions: asymmetric only.
var algorithms = map[string]algorithm{
	"ES256": {hash: crypto.SHA256, ecBytes: 32, fits: isEC(256)},
	"ES384": {hash: crypto.SHA384, ecBytes: 48, fits: isEC(384)},
	"EdDSA": {fits: isEd25519},
	"RS256": {hash: crypto.SHA256, fits: isRSA},
	"PS256": {hash: crypto.SHA256, pss: true, fits: isRSA},
}

// checkAlgorithm reports whether alg is supported and fits the key.
func checkAlgorithm(alg string, pub crypto.PublicKey) error {
	a, ok := algorithms[alg]
	if !ok {
		return fmt.Errorf("SigningAlgorithm %q is not one of ES256, ES384, EdDSA, RS256, PS256", alg)
	}
	if !a.fits(pub) {
		return fmt.Errorf("the Signer's %T key does not fit %s", pub, alg)
	}
	return nil
}

// assertion returns a signed client assertion (RFC 7523 §3): iss and sub
// are the client id, aud the token endpoint, a fresh random jti, and an
// expiry of c.AssertionExpiry.
func (c *Config) assertion(now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := io.ReadFull(c.Rand, jti); err != nil {
		return "", fmt.Errorf("assertion id: %w", err)
	}
	header := map[string]string{"alg": c.SigningAlgorithm, "typ": "JWT"}
	if c.KeyID != "" {
		header["kid"] = c.KeyID
	}
	claims := map[string]any{
		"iss": c.ClientID, "sub": c.ClientID, "aud": c.AssertionAudience,
		"jti": hex.EncodeToString(jti),
		"iat": now.Unix(), "exp": now.Add(c.AssertionExpiry).Unix(),
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signingInput := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	sig, err := signJWS(c.Signer, c.SigningAlgorithm, []byte(signingInput))
	if err != nil {
		return "", fmt.Errorf("sign assertion: %w", err)
	}
	return signingInput + "." + enc.EncodeToString(sig), nil
}

// signJWS signs input as JWS algorithm alg (RFC 7518 §3, RFC 8037) with s.
func signJWS(s crypto.Signer, alg string, input []byte) ([]byte, error) {
	a, ok := algorithms[alg]
	if !ok {
		return nil, fmt.Errorf("unsupported algorithm %q", alg)
	}
	if a.hash == 0 {
		return s.Sign(cryptoRand, input, crypto.Hash(0))
	}
	h := a.hash.New()
	h.Write(input)
	digest := h.Sum(nil)
	var opts crypto.SignerOpts = a.hash
	if a.pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}
	}
	sig, err := s.Sign(cryptoRand, digest, opts)
	if err != nil || a.ecBytes == 0 {
		return sig, err
	}
	// A crypto.Signer returns an ECDSA signature as ASN.1; JWS wants r || s.
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("ECDSA signature is not ASN.1 (r, s)")
	}
	if rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 8*a.ecBytes || rs.S.BitLen() > 8*a.ecBytes {
		return nil, fmt.Errorf("ECDSA signature does not fit %s", alg)
	}
	out := make([]byte, 2*a.ecBytes)
	rs.R.FillBytes(out[:a.ecBytes])
	rs.S.FillBytes(out[a.ecBytes:])
	return out, nil
}
