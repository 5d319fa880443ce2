package tokens

import (
	"net/netip"
	"strings"
	"time"
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
	Dialect   string
}

// scopes splits a scope parameter (RFC 6749 §3.3), dropping empty tokens.
func scopes(s string) []string { return strings.Fields(s) }

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
