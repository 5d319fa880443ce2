package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// header is the protected header of a JWS. Only these members are read;
// a header with "crit" is refused, since no extension is understood.
type header struct {
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Typ  string   `json:"typ"`
	Crit []string `json:"crit"`
}

// verifyJWT checks a compact JWS and returns its claims after the
// issuer and audience checks. It parses the token itself, strictly: three
// base64url parts without padding, a header whose alg is exactly the
// algorithm of the key its kid names (so neither "none" nor an HMAC
// algorithm can ever match), typ at+jwt.
func (v *Verifier) verifyJWT(ctx context.Context, token string) (*Claims, error) {
	ks := v.keys.set.Load()
	if c := v.tokens.get(token, ks); c != nil {
		cp := *c // callers may change their copy
		return &cp, nil
	}
	d1 := strings.IndexByte(token, '.')
	if d1 <= 0 {
		return nil, invalid("the token is not a JWT")
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	if d2 <= 0 {
		return nil, invalid("the token is not a JWT")
	}
	d2 += d1 + 1
	if strings.IndexByte(token[d2+1:], '.') >= 0 || d2+1 == len(token) {
		return nil, invalid("the token is not a compact JWS")
	}
	k, err := v.keys.forHeader(ctx, token[:d1])
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[d2+1:])
	if err != nil {
		return nil, invalid("the signature is not base64url")
	}
	if !k.verify(token[:d2], sig) {
		return nil, invalid("the signature does not verify")
	}
	payload, err := base64.RawURLEncoding.DecodeString(token[d1+1 : d2])
	if err != nil {
		return nil, invalid("the payload is not base64url")
	}
	c := new(Claims)
	if len(payload) == 0 || payload[0] != '{' || json.Unmarshal(payload, c) != nil {
		return nil, invalid("the claims are not a JSON object")
	}
	if err := v.checkClaims(c); err != nil {
		return nil, err
	}
	if ks == v.keys.set.Load() && v.tokens != nil { // not verified against a newer set
		cp := *c
		v.tokens.put(token, ks, &cp)
	}
	return c, nil
}

// parseHeader decodes and checks a protected header.
func parseHeader(seg string) (*header, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, invalid("the header is not base64url")
	}
	var h header
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, invalid("the header is not a JSON object")
	}
	if h.Crit != nil {
		return nil, invalid("the header has critical extensions")
	}
	if typ := strings.ToLower(h.Typ); typ != "at+jwt" && typ != "application/at+jwt" {
		return nil, invalid("the token is not an access token (typ at+jwt)")
	}
	return &h, nil
}

// publicKey is one verification key of the issuer with the one algorithm
// it may be used with.
type publicKey struct {
	kid  string
	alg  string
	ec   *ecdsa.PublicKey
	ed   ed25519.PublicKey
	rsa  *rsa.PublicKey
	hash crypto.Hash
	size int // bytes of each of r and s for ECDSA
}

// verify checks sig over the signing input with the key's algorithm.
func (k *publicKey) verify(input string, sig []byte) bool {
	switch {
	case k.ec != nil:
		if len(sig) != 2*k.size {
			return false
		}
		// JWS carries r‖s; crypto/ecdsa takes ASN.1. Building the DER here
		// costs less than ecdsa.Verify's own conversion from big.Int.
		var buf [3 + 2*(2+67)]byte
		der := appendSignatureDER(buf[:0], sig[:k.size], sig[k.size:])
		return ecdsa.VerifyASN1(k.ec, digest(k.hash, input), der)
	case k.ed != nil:
		return ed25519.Verify(k.ed, []byte(input), sig)
	case k.rsa != nil:
		return rsa.VerifyPKCS1v15(k.rsa, k.hash, digest(k.hash, input), sig) == nil
	}
	return false
}

// appendSignatureDER appends the DER encoding of an ECDSA signature,
// SEQUENCE { INTEGER r, INTEGER s }, given r and s as unsigned big-endian
// bytes of at most 66 bytes each (P-521).
func appendSignatureDER(b, r, s []byte) []byte {
	r, s = trimZeros(r), trimZeros(s)
	lr, ls := intLen(r), intLen(s)
	body := 2 + lr + 2 + ls
	b = append(b, 0x30)
	if body >= 0x80 {
		b = append(b, 0x81)
	}
	b = append(b, byte(body))
	b = appendInt(b, r, lr)
	return appendInt(b, s, ls)
}

func trimZeros(x []byte) []byte {
	for len(x) > 1 && x[0] == 0 {
		x = x[1:]
	}
	return x
}

// intLen is the length of the DER INTEGER content of unsigned x.
func intLen(x []byte) int {
	if x[0]&0x80 != 0 {
		return len(x) + 1
	}
	return len(x)
}

func appendInt(b, x []byte, n int) []byte {
	b = append(b, 0x02, byte(n))
	if n > len(x) {
		b = append(b, 0)
	}
	return append(b, x...)
}

// digest hashes the signing input.
func digest(h crypto.Hash, input string) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384([]byte(input))
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512([]byte(input))
		return d[:]
	}
	d := sha256.Sum256([]byte(input))
	return d[:]
}
