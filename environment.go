package gatehouse

import (
	"regexp"
	"strings"
	"time"
)

// Token formats an environment or client can issue.
const (
	TokenFormatJWT    = "jwt"
	TokenFormatOpaque = "opaque"
)

// Names of the environments every installation has after first start.
const (
	EnvSandbox    = "sandbox"
	EnvProduction = "production"
	EnvAdmin      = "admin"
)

// Admin API scopes, granted by clients of the admin environment.
const (
	ScopeAdminRead  = "admin:read"
	ScopeAdminWrite = "admin:write"
)

// MaxTokenLifetime is the longest lifetime a token may be given (90 days).
const MaxTokenLifetime = 90 * 24 * time.Hour

// DefaultTokenLifetime is the lifetime of a token when nothing overrides it.
const DefaultTokenLifetime = 5 * time.Minute

var envNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Environment (a realm) is an isolated space with its own issuer, signing
// keys, token settings and credentials. Credentials of one environment never
// work in another.
type Environment struct {
	Name             string
	SigningAlgorithm string
	Tokens           TokenSettings
	// Limits are the environment's token endpoint rate limits.
	Limits RateLimits
	// AllowReveal lets a client's secret be shown again after the caller
	// re-authenticates: secrets created while it is on are also kept
	// encrypted under the master key (Secret.Sealed).
	AllowReveal bool
	// Production marks an environment whose credentials reach production
	// systems: its API keys get the production prefix (APIKeyPrefix)
	// whatever the environment is called.
	Production bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TokenSettings say what tokens an environment issues.
type TokenSettings struct {
	Format          string
	Lifetime        time.Duration
	Reuse           bool
	DefaultAudience string
}

// TokenOverrides are a client's optional overrides of its environment's
// TokenSettings; a nil field keeps the environment's value.
type TokenOverrides struct {
	Format          *string
	Lifetime        *time.Duration
	Reuse           *bool
	DefaultAudience *string
}

// Apply returns s with the overrides o applied.
func (o TokenOverrides) Apply(s TokenSettings) TokenSettings {
	if o.Format != nil {
		s.Format = *o.Format
	}
	if o.Lifetime != nil {
		s.Lifetime = *o.Lifetime
	}
	if o.Reuse != nil {
		s.Reuse = *o.Reuse
	}
	if o.DefaultAudience != nil {
		s.DefaultAudience = *o.DefaultAudience
	}
	return s
}

// DefaultTokenSettings are the settings of a new environment.
func DefaultTokenSettings() TokenSettings {
	return TokenSettings{Format: TokenFormatJWT, Lifetime: DefaultTokenLifetime}
}

// ValidEnvironmentName reports whether name can name an environment: it is
// used as a URL path segment, so lower-case letters, digits, '-' and '_'.
func ValidEnvironmentName(name string) bool { return envNameRE.MatchString(name) }

// Validate checks the environment's fields.
func (e *Environment) Validate() error {
	if !ValidEnvironmentName(e.Name) {
		return Errorf(EINVALID, "environment name %q must be 1-63 characters of a-z, 0-9, '-' and '_'", e.Name)
	}
	if err := ValidateSigningAlgorithm(e.SigningAlgorithm); err != nil {
		return err
	}
	if err := e.Tokens.Validate(); err != nil {
		return err
	}
	return e.Limits.Validate()
}

// Validate checks token settings.
func (s TokenSettings) Validate() error {
	switch s.Format {
	case TokenFormatJWT, TokenFormatOpaque:
	default:
		return Errorf(EINVALID, "token format %q must be %q or %q", s.Format, TokenFormatJWT, TokenFormatOpaque)
	}
	if s.Lifetime < time.Second || s.Lifetime > MaxTokenLifetime {
		return Errorf(EINVALID, "token lifetime %s must be between 1s and 90 days", s.Lifetime)
	}
	return nil
}

// ValidateTokenFormat checks a token format.
func ValidateTokenFormat(f string) error {
	switch f {
	case TokenFormatJWT, TokenFormatOpaque:
		return nil
	}
	return Errorf(EINVALID, "token format %q must be %q or %q", f, TokenFormatJWT, TokenFormatOpaque)
}

// TokenLifetime returns a lifetime given in seconds, which must be between
// one second and MaxTokenLifetime.
func TokenLifetime(seconds int64) (time.Duration, error) {
	max := int64(MaxTokenLifetime / time.Second)
	if seconds < 1 || seconds > max {
		return 0, Errorf(EINVALID, "lifetime_seconds must be between 1 and %d (90 days)", max)
	}
	return time.Duration(seconds) * time.Second, nil
}

// ValidateDefaultAudience checks a default audience: at most 512 characters
// without spaces; "" is allowed only where emptyOK (an environment, where it
// means none).
func ValidateDefaultAudience(a string, emptyOK bool) error {
	if (a == "" && !emptyOK) || len(a) > 512 || strings.ContainsAny(a, " \t\r\n") {
		return Errorf(EINVALID, "default_audience %q must be at most 512 characters without spaces", a)
	}
	return nil
}
