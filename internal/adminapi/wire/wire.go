package wire

import "time"

// Error is the body of every admin API error: {"error":{"code","message"}}.
type Error struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a machine-readable code (gatehouse.EINVALID, ...) and a
// message safe to show.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Environment is an environment (realm) and its token settings.
type Environment struct {
	Name             string        `json:"name"`
	Issuer           string        `json:"issuer"`
	SigningAlgorithm string        `json:"signing_algorithm"`
	TokenSettings    TokenSettings `json:"token_settings"`
	// AllowReveal says whether secrets may be shown again (reveal).
	AllowReveal bool `json:"allow_reveal"`
	// Production says whether the environment is marked production (its
	// API keys get the production prefix).
	Production bool `json:"production"`
	// RateLimits are the token endpoint's limits in the environment.
	RateLimits RateLimits `json:"rate_limits"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// TokenSettings say what tokens an environment issues.
type TokenSettings struct {
	Format          string `json:"format"`
	LifetimeSeconds int64  `json:"lifetime_seconds"`
	Reuse           bool   `json:"reuse"`
	DefaultAudience string `json:"default_audience"`
}

// EnvironmentList is the answer of GET /admin/v1/environments.
type EnvironmentList struct {
	Items []Environment `json:"items"`
}

// Account is a business client of the API provider.
type Account struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateAccountRequest is the body of POST /admin/v1/accounts.
type CreateAccountRequest struct {
	Name string `json:"name"`
}

// AccountPage is a page of GET /admin/v1/accounts. NextAfter is the value of
// the "after" parameter that fetches the next page, nil on the last page.
type AccountPage struct {
	Items     []Account `json:"items"`
	NextAfter *int64    `json:"next_after,omitempty"`
}

// Client is a client credential, without any secret.
type Client struct {
	ClientID string `json:"client_id"`
	// LegacyAPIKey marks a client imported with another server's API key
	// (no Gatehouse prefix or checksum): it works, and should be replaced by
	// a new client.
	LegacyAPIKey bool `json:"legacy_api_key,omitempty"`
	// MustRotate marks a client imported without a usable credential: no
	// secret or API key of it is accepted until its secret is rotated
	// (POST .../rotate), which issues one and clears the mark.
	MustRotate   bool     `json:"must_rotate,omitempty"`
	Environment  string   `json:"environment"`
	AccountID    int64    `json:"account_id"`
	Name         string   `json:"name"`
	Scopes       []string `json:"scopes"`
	Audiences    []string `json:"audiences"`
	AllowedCIDRs []string `json:"allowed_cidrs"`
	Status       string   `json:"status"`
	Secrets      []Secret `json:"secrets"`
	// TokenOverrides are the client's own token settings; null fields
	// take the environment's.
	TokenOverrides TokenOverrides `json:"token_overrides"`
	// JWKS or PublicKeyPEM are the public keys the client signs
	// private_key_jwt assertions with; both absent when it has none.
	JWKS         JWKS      `json:"jwks,omitempty"`
	PublicKeyPEM string    `json:"public_key_pem,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Secret describes one of a client's secrets; the secret itself is never
// shown again after it was created.
type Secret struct {
	ID        int64      `json:"id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// ImportedHash names the form of the hash a secret imported from
	// another server is still stored under ("bcrypt", "pbkdf2-sha256",
	// "sha512", ...) until its first use re-hashes it; absent otherwise.
	ImportedHash string `json:"imported_hash,omitempty"`
}

// ClientWithSecret is the answer of creating a client or rotating its
// secret: the client, plus the new secret and its API-key form, shown once.
type ClientWithSecret struct {
	Client
	ClientSecret string `json:"client_secret"`
	APIKey       string `json:"api_key"`
}

// CreateClientRequest is the body of POST /admin/v1/clients. A zero
// AccountID creates a new account named after the client.
type CreateClientRequest struct {
	Environment  string   `json:"environment"`
	AccountID    int64    `json:"account_id,omitempty"`
	Name         string   `json:"name"`
	Scopes       []string `json:"scopes,omitempty"`
	Audiences    []string `json:"audiences,omitempty"`
	AllowedCIDRs []string `json:"allowed_cidrs,omitempty"`
	// JWKS or PublicKeyPEM register public keys for private_key_jwt.
	JWKS         JWKS   `json:"jwks,omitempty"`
	PublicKeyPEM string `json:"public_key_pem,omitempty"`
}

// RotateSecretRequest is the optional body of
// POST /admin/v1/clients/{client_id}/rotate: for how many seconds the
// current secret stays valid next to the new one (0: it dies at once).
type RotateSecretRequest struct {
	GraceSeconds int64 `json:"grace_seconds"`
}

// ClientPage is a page of GET /admin/v1/clients. NextAfter is the value of
// the "after" parameter that fetches the next page, "" on the last page.
type ClientPage struct {
	Items     []Client `json:"items"`
	NextAfter string   `json:"next_after,omitempty"`
}
