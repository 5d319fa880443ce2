package gatehouse

import "time"

// Signing algorithms an environment can use.
const (
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
	AlgRS256 = "RS256"
)

// ValidateSigningAlgorithm checks that alg is one Gatehouse signs with.
func ValidateSigningAlgorithm(alg string) error {
	switch alg {
	case AlgES256, AlgEdDSA, AlgRS256:
		return nil
	}
	return Errorf(EINVALID, "signing algorithm %q must be ES256, EdDSA or RS256", alg)
}

// Signing key states. A key is published in the JWKS while it is next,
// active or retired; retired keys are dropped once every token they signed
// has expired. A revoked key is published no more and every token it
// signed is inactive; its record is kept until RemoveAt for revocation
// feeds.
const (
	KeyNext    = "next"    // published, not yet signing
	KeyActive  = "active"  // signs new tokens; one per environment
	KeyRetired = "retired" // published until RemoveAt, signs nothing
	KeyRevoked = "revoked" // not published, signs nothing, verifies nothing
)

// SigningKey is an environment's private key. PrivateKey holds the PKCS #8
// DER encoding.
type SigningKey struct {
	ID          string // the JWK "kid"
	Environment string
	Algorithm   string
	PrivateKey  []byte
	State       string
	CreatedAt   time.Time
	// RemoveAt is when a retired key may leave the JWKS, or when the record
	// of a revoked key may be deleted (zero otherwise).
	RemoveAt time.Time
	// RevokedAt is when the key was revoked (zero unless State is
	// KeyRevoked).
	RevokedAt time.Time
}
