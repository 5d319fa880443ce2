package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse"
)

// TokenType is the JOSE "typ" header of access tokens (RFC 9068 §2.1).
const TokenType = "at+jwt"

// Generate creates a new signing key for env with algorithm alg, in state
// state. Its id is the RFC 7638 thumbprint of the public key. The random
// source is used where the algorithm's generator honours one.
func Generate(env, alg, state string, r io.Reader, now time.Time) (*gatehouse.SigningKey, error) {
	if err := gatehouse.ValidateSigningAlgorithm(alg); err != nil {
		return nil, err
	}
	var priv crypto.Signer
	var err error
	switch alg {
	case gatehouse.AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), r)
	case gatehouse.AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(r)
	case gatehouse.AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode %s key: %w", alg, err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return nil, err
	}
	return &gatehouse.SigningKey{
		ID: kid, Environment: env, Algorithm: alg, PrivateKey: der,
		State: state, CreatedAt: now.UTC().Truncate(time.Microsecond),
	}, nil
}

func thumbprint(pub crypto.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// Key is a parsed signing key: it signs (if it may) and verifies.
type Key struct {
	ID        string
	Algorithm string
	State     string
	RemoveAt  time.Time
	public    crypto.PublicKey
	signer    jose.Signer
}

// Parse decodes a stored signing key.
func Parse(k *gatehouse.SigningKey) (*Key, error) {
	priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", k.ID, err)
	}
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: %T is not a signer", k.ID, priv)
	}
	if err := matchAlgorithm(k.Algorithm, cs.Public()); err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	opts := (&jose.SignerOptions{}).WithType(TokenType)
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(k.Algorithm),
		Key:       jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: k.Algorithm},
	}, opts)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	return &Key{ID: k.ID, Algorithm: k.Algorithm, State: k.State, RemoveAt: k.RemoveAt, public: cs.Public(), signer: signer}, nil
}

func matchAlgorithm(alg string, pub crypto.PublicKey) error {
	ok := false
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		ok = alg == gatehouse.AlgES256 && p.Curve == elliptic.P256()
	case ed25519.PublicKey:
		ok = alg == gatehouse.AlgEdDSA
	case *rsa.PublicKey:
		ok = alg == gatehouse.AlgRS256 && p.N.BitLen() >= 2048
	}
	if !ok {
		return fmt.Errorf("key type %T does not fit algorithm %s", pub, alg)
	}
	return nil
}

// Sign returns the compact JWS of payload, with typ at+jwt and the key's kid.
func (k *Key) Sign(payload []byte) (string, error) {
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign with key %s: %w", k.ID, err)
	}
	return jws.CompactSerialize()
}

// PublicJWK returns the key's public half as a JWK.
func (k *Key) PublicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.public, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}
}
