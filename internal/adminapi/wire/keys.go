package wire

import (
	"encoding/json"
	"time"
)

// JWKS is a JSON Web Key Set document (RFC 7517 §5), kept as raw JSON.
type JWKS = json.RawMessage

// SetClientKeysRequest is the body of PUT (or POST)
// /admin/v1/clients/{client_id}/keys: the public keys the client signs
// private_key_jwt assertions with, as a JWK Set or as PEM PUBLIC KEY blocks,
// at most one of the two. Neither removes the client's keys.
type SetClientKeysRequest struct {
	JWKS         JWKS   `json:"jwks,omitempty"`
	PublicKeyPEM string `json:"public_key_pem,omitempty"`
}

// SigningKey is one of an environment's signing keys (the public half only).
type SigningKey struct {
	KeyID     string `json:"kid"`
	Algorithm string `json:"alg"`
	// State is next (published, not signing yet), active (signing),
	// retired (published until remove_at, signing nothing) or revoked (not
	// published; every token it signed is inactive).
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	// RevokedAt is when a revoked key was revoked.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// ActivatesAt is when a next key is due to start signing.
	ActivatesAt *time.Time `json:"activates_at,omitempty"`
	// RemoveAt is when a retired key leaves the JWKS, once every token it
	// signed has expired (for a revoked key: when its record is deleted).
	RemoveAt *time.Time `json:"remove_at,omitempty"`
	// PublicJWK is the key as published in the JWKS.
	PublicJWK json.RawMessage `json:"public_jwk"`
}

// SigningKeyList is the answer of GET /admin/v1/environments/{env}/keys,
// oldest key first.
type SigningKeyList struct {
	Environment string       `json:"environment"`
	Items       []SigningKey `json:"items"`
}

// RotateKeysRequest is the optional body of
// POST /admin/v1/environments/{env}/keys/rotate. Algorithm (ES256, EdDSA or
// RS256) overrides the environment's signing algorithm for the new key.
// Now makes the new key sign at once (an emergency: resource servers that
// cached the JWKS before it was published refuse its tokens until they
// fetch the JWKS again) and replaces a pending next key.
type RotateKeysRequest struct {
	Algorithm string `json:"algorithm,omitempty"`
	Now       bool   `json:"now,omitempty"`
}

// RotateKeysResponse is the answer of a rotation: the new next key and the
// environment's keys after it.
type RotateKeysResponse struct {
	Key  SigningKey     `json:"key"`
	Keys SigningKeyList `json:"keys"`
}
