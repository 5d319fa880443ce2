package tokens

import (
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// Client authentication methods (RFC 8414 token_endpoint_auth_methods).
const (
	AuthNone              = ""
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthAPIKey            = "api_key"
)

// GrantClientCredentials is the one grant type Gatehouse issues tokens for.
const GrantClientCredentials = "client_credentials"

// Credentials are what a client authenticated with.
type Credentials struct {
	Method   string
	ClientID string
	Secret   string
	// Assertion is the client_assertion JWT of private_key_jwt.
	Assertion string
}

// Request is a token request as a dialect parsed it.
type Request struct {
	// Environment is the environment named by the path, or "" when the
	// credential decides (legacy dialects).
	Environment string
	GrantType   string
	Credentials Credentials
	// Scope is the space-separated scope parameter ("" for all allowed).
	Scope     string
	Audiences []string
	RemoteIP  netip.Addr
	// Dialect names the request format ("standard", "lengow", "lemonway").
	Dialect string
	// Settings are the dialect's token settings, applied over the
	// environment's and under the client's own overrides; nil for none.
	Settings *DialectSettings
	// IPLimitPending is set by a Guard's Admit that leaves the per-IP
	// limit to its next call on this request (AdmitClient, AuthFailed,
	// AllowlistDenied or Done), which applies it together with its own
	// check: one limiter call per token request (see Guard).
	IPLimitPending bool
}

// DialectSettings are a dialect's token settings: its defaults and, per
// environment, overrides of those defaults.
type DialectSettings struct {
	Default      gatehouse.TokenOverrides
	Environments map[string]gatehouse.TokenOverrides
	// Off names the environments the dialect does not serve: a client of
	// one gets invalid_client there. The admin environment is never served.
	Off map[string]bool
}

// Serves reports whether the dialect issues tokens to clients of env.
func (d *DialectSettings) Serves(env string) bool {
	return env != gatehouse.EnvAdmin && !d.Off[env]
}

// apply returns s with the dialect's settings for env applied.
func (d *DialectSettings) apply(env string, s gatehouse.TokenSettings) gatehouse.TokenSettings {
	if d == nil {
		return s
	}
	return d.Environments[env].Apply(d.Default.Apply(s))
}

// scopes splits a scope parameter (RFC 6749 §3.3), dropping empty tokens.
func scopes(s string) []string { return strings.Fields(s) }

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
