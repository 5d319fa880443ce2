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

// Signing key states. A key is published in JWKS in every state but retired
// keys are dropped once every token they signed has expired.
const (
	KeyNext    = "next"    // published, not yet signing
	KeyActive  = "active"  // signs new tokens; one per environment
	KeyRetired = "retired" // published until RetireAt, signs nothing
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
	// RemoveAt is when a retired key may leave the JWKS (zero otherwise).
	RemoveAt time.Time
}
