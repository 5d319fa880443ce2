package wire

import (
	"bytes"
	"encoding/json"
)

// Optional is a field of a partial update (PATCH): absent, it leaves the
// value as it is; null clears it where that is allowed; a value sets it.
// Tag it `json:",omitzero"` so that an unset field is left out.
type Optional[T any] struct {
	Set   bool // the field was present
	Null  bool // it was null
	Value T
}

// Some returns an Optional that sets v.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

// Null returns an Optional that clears the value.
func Null[T any]() Optional[T] { return Optional[T]{Set: true, Null: true} }

// IsZero reports whether the field is absent (for omitzero).
func (o Optional[T]) IsZero() bool { return !o.Set }

// MarshalJSON writes the value, or null.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if !o.Set || o.Null {
		return []byte("null"), nil
	}
	return json.Marshal(o.Value)
}

// UnmarshalJSON records that the field was present, and whether it was
// null.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// TokenOverrides are a client's own token settings; a null field takes the
// environment's value.
type TokenOverrides struct {
	Format          *string `json:"format"`
	LifetimeSeconds *int64  `json:"lifetime_seconds"`
	Reuse           *bool   `json:"reuse"`
	DefaultAudience *string `json:"default_audience"`
}

// TokenSettingsPatch changes token settings. In an environment a null
// default_audience clears it (and the other fields cannot be null); in a
// client's overrides a null field goes back to the environment's value.
type TokenSettingsPatch struct {
	Format          Optional[string] `json:"format,omitzero"`
	LifetimeSeconds Optional[int64]  `json:"lifetime_seconds,omitzero"`
	Reuse           Optional[bool]   `json:"reuse,omitzero"`
	DefaultAudience Optional[string] `json:"default_audience,omitzero"`
}

// UpdateEnvironmentRequest is the body of PATCH /admin/v1/environments/{env}:
// only the fields present change.
type UpdateEnvironmentRequest struct {
	TokenSettings *TokenSettingsPatch `json:"token_settings,omitempty"`
	AllowReveal   Optional[bool]      `json:"allow_reveal,omitzero"`
	RateLimits    *RateLimitsPatch    `json:"rate_limits,omitempty"`
	// Production marks the environment production: API keys made from
	// then on get the production prefix.
	Production Optional[bool] `json:"production,omitzero"`
	// SigningAlgorithm is the algorithm of the environment's next keys
	// (the current key signs until the next rotation).
	SigningAlgorithm Optional[string] `json:"signing_algorithm,omitzero"`
}

// CreateEnvironmentRequest is the body of POST /admin/v1/environments. The
// signing algorithm is ES256 unless given; token settings not given take
// the defaults.
type CreateEnvironmentRequest struct {
	Name             string              `json:"name"`
	SigningAlgorithm string              `json:"signing_algorithm,omitempty"`
	TokenSettings    *TokenSettingsPatch `json:"token_settings,omitempty"`
	AllowReveal      bool                `json:"allow_reveal,omitempty"`
	RateLimits       *RateLimitsPatch    `json:"rate_limits,omitempty"`
	// Production marks the environment production: its API keys get the
	// production prefix (gh_prd_) whatever its name.
	Production bool `json:"production,omitempty"`
}

// UpdateClientRequest is the body of PATCH /admin/v1/clients/{client_id}:
// only the fields present change. Lists replace the client's lists ([]
// empties them; null is refused). In token_overrides a null field goes back
// to the environment's value.
type UpdateClientRequest struct {
	Name           Optional[string]    `json:"name,omitzero"`
	Scopes         Optional[[]string]  `json:"scopes,omitzero"`
	Audiences      Optional[[]string]  `json:"audiences,omitzero"`
	AllowedCIDRs   Optional[[]string]  `json:"allowed_cidrs,omitzero"`
	TokenOverrides *TokenSettingsPatch `json:"token_overrides,omitempty"`
}

// RevealRequest is the body of POST /admin/v1/clients/{client_id}/reveal:
// the credentials of a user, who re-authenticates to see the secret.
type RevealRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// RevealedSecret is the answer of a reveal: the client's newest secret and
// its API-key form.
type RevealedSecret struct {
	ClientID     string `json:"client_id"`
	Environment  string `json:"environment"`
	SecretID     int64  `json:"secret_id"`
	ClientSecret string `json:"client_secret"`
	APIKey       string `json:"api_key"`
}
