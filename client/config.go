package client

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Dialect is the shape of a token request and its answer.
type Dialect int

const (
	// Standard is the OAuth 2.0 client credentials grant (RFC 6749 §4.4) at
	// an environment's token endpoint, as Keycloak serves it. The client
	// authenticates as AuthMethod says.
	Standard Dialect = iota
	// Lengow is the Lengow-style flow: POST access_token=<client id> and
	// secret=<secret> to /access/get_token; the answer is
	// {"token","account_id","user_id"} and the token is sent to APIs as
	// "Authorization: <token>", with no scheme word.
	Lengow
	// Lemonway is the Lemonway-style flow: POST Grant_type=client_credentials
	// to /oauth/api/v1/oauth/token with "Authorization: basic <api key>" (the
	// key itself, not base64); the answer is
	// {"token_Type","access_token","expires_in"}.
	Lemonway
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case Standard:
		return "standard"
	case Lengow:
		return "lengow"
	case Lemonway:
		return "lemonway"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// AuthMethod is how a client authenticates in the Standard dialect
// (the token_endpoint_auth_method of RFC 7591).
type AuthMethod int

const (
	// ClientSecretBasic sends the client id and secret in an HTTP Basic
	// header, each form-encoded first (RFC 6749 §2.3.1). It is the default.
	ClientSecretBasic AuthMethod = iota
	// ClientSecretPost sends client_id and client_secret in the form body,
	// as the Keycloak-style curl line does.
	ClientSecretPost
	// PrivateKeyJWT sends a client assertion (RFC 7523 §2.2) signed with
	// Config.Signer; the client has registered the matching public key.
	PrivateKeyJWT
)

// String returns the method's registered name.
func (m AuthMethod) String() string {
	switch m {
	case ClientSecretBasic:
		return "client_secret_basic"
	case ClientSecretPost:
		return "client_secret_post"
	case PrivateKeyJWT:
		return "private_key_jwt"
	}
	return fmt.Sprintf("AuthMethod(%d)", int(m))
}

// Defaults of the Config fields left zero.
const (
	DefaultRefreshAt       = 0.8
	DefaultMinBackoff      = time.Second
	DefaultMaxBackoff      = 5 * time.Minute
	DefaultLifetime        = time.Hour
	DefaultExpiryMargin    = 10 * time.Second
	DefaultFetchTimeout    = 30 * time.Second
	DefaultAssertionExpiry = time.Minute
)

// Config says how to get tokens. Only TokenURL and the credentials of the
// dialect are required; every other zero field takes a documented default.
type Config struct {
	// TokenURL is the token endpoint, for instance
	// EnvironmentTokenURL("https://auth.example.com", "sandbox"),
	// LengowTokenURL(server) or LemonwayTokenURL(server).
	TokenURL string
	// Dialect is the shape of the token request; Standard when zero.
	Dialect Dialect

	// ClientID and ClientSecret are the credentials of the Standard
	// (secret methods) and Lengow dialects. With PrivateKeyJWT only
	// ClientID is used.
	ClientID     string
	ClientSecret string
	// APIKey is the credential of the Lemonway dialect.
	APIKey string

	// AuthMethod is how a Standard client authenticates; ClientSecretBasic
	// when zero.
	AuthMethod AuthMethod
	// Signer and SigningAlgorithm sign the client assertions of
	// PrivateKeyJWT: "ES256", "ES384" (an *ecdsa key), "EdDSA" (Ed25519),
	// "RS256" or "PS256" (RSA). The signer may be an HSM or KMS key; only
	// its Sign method is called.
	Signer           crypto.Signer
	SigningAlgorithm string
	// KeyID is put in the assertion's "kid" header when not empty.
	KeyID string
	// AssertionAudience is the assertion's "aud"; TokenURL when empty.
	AssertionAudience string
	// AssertionExpiry is how long an assertion is valid; one minute when
	// zero. Each assertion has a fresh random "jti" and is used once.
	AssertionExpiry time.Duration

	// Scopes and Audience are asked for in the Standard dialect (as "scope"
	// and "audience"); none asks for everything the client may have.
	Scopes   []string
	Audience string

	// HTTPClient sends the token requests; when nil, a client with
	// FetchTimeout that follows no redirect (a redirected token request
	// fails with its 3xx status rather than carry the credentials
	// elsewhere). It is never taken from a context.
	HTTPClient *http.Client
	// FetchTimeout bounds each token request; 30 s when zero.
	FetchTimeout time.Duration

	// RefreshAt is the fraction of a token's lifetime after which it is
	// refreshed in the background while callers keep getting it; 0.8 when
	// zero. It must be in (0, 1].
	RefreshAt float64
	// ExpiryMargin is how long before its expiry a token stops being handed
	// out (so it does not expire on its way to the API); the smaller of 10 s
	// and a tenth of the token's lifetime when zero.
	ExpiryMargin time.Duration
	// DefaultLifetime is the lifetime assumed when an answer has no
	// positive expires_in (Lengow answers never have one); one hour when
	// zero.
	DefaultLifetime time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed token request:
	// MinBackoff after the first failure, doubling with each further one up
	// to MaxBackoff, with jitter; 1 s and 5 min when zero. A Retry-After
	// from the server is honoured when it asks for longer.
	MinBackoff time.Duration
	MaxBackoff time.Duration

	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand supplies randomness for assertion ids and backoff jitter;
	// crypto/rand when nil.
	Rand io.Reader

	// Hooks are called around token requests, for metrics and logs.
	Hooks Hooks
}

// EnvironmentTokenURL is the standard token endpoint of environment env on
// the Gatehouse at server (a base URL such as "https://auth.example.com"):
// server/realms/env/protocol/openid-connect/token. Deployments that kept
// the older Keycloak layout may pass server+"/auth" as server.
func EnvironmentTokenURL(server, env string) string {
	return strings.TrimRight(server, "/") + "/realms/" + url.PathEscape(env) + "/protocol/openid-connect/token"
}

// LengowTokenURL is the Lengow-style token endpoint of the server at server.
func LengowTokenURL(server string) string {
	return strings.TrimRight(server, "/") + "/access/get_token"
}

// LemonwayTokenURL is the Lemonway-style token endpoint of the server at
// server.
func LemonwayTokenURL(server string) string {
	return strings.TrimRight(server, "/") + "/oauth/api/v1/oauth/token"
}

// errConfig marks an invalid Config.
var errConfig = errors.New("gatehouse client: invalid config")

// withDefaults checks c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("%w: "+format, append([]any{errConfig}, args...)...)
	}
	u, err := url.Parse(c.TokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("TokenURL %q is not an http(s) URL", c.TokenURL)
	}
	if u.RawQuery != "" {
		return bad("TokenURL has a query string")
	}
	if err := c.checkCredentials(); err != nil {
		return bad("%v", err)
	}
	if c.RefreshAt == 0 {
		c.RefreshAt = DefaultRefreshAt
	}
	if c.RefreshAt < 0 || c.RefreshAt > 1 {
		return bad("RefreshAt %v is not in (0, 1]", c.RefreshAt)
	}
	if c.ExpiryMargin < 0 || c.DefaultLifetime < 0 || c.MinBackoff < 0 || c.MaxBackoff < 0 || c.FetchTimeout < 0 || c.AssertionExpiry < 0 {
		return bad("durations must not be negative")
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = max(DefaultMaxBackoff, c.MinBackoff)
	}
	if c.MaxBackoff < c.MinBackoff {
		return bad("MaxBackoff %s is below MinBackoff %s", c.MaxBackoff, c.MinBackoff)
	}
	if c.DefaultLifetime == 0 {
		c.DefaultLifetime = DefaultLifetime
	}
	if c.FetchTimeout == 0 {
		c.FetchTimeout = DefaultFetchTimeout
	}
	if c.AssertionExpiry == 0 {
		c.AssertionExpiry = DefaultAssertionExpiry
	}
	if c.AssertionAudience == "" {
		c.AssertionAudience = c.TokenURL
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			Timeout: c.FetchTimeout,
			// A redirect would resend the form, credentials and all, to
			// wherever it points: a token endpoint has no reason to redirect.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = cryptoRand
	}
	c.Scopes = append([]string(nil), c.Scopes...)
	return c, nil
}

// checkCredentials reports what the dialect and method of c miss.
func (c *Config) checkCredentials() error {
	switch c.Dialect {
	case Standard:
		if c.ClientID == "" {
			return errors.New("ClientID is required")
		}
		switch c.AuthMethod {
		case ClientSecretBasic, ClientSecretPost:
			if c.ClientSecret == "" {
				return fmt.Errorf("ClientSecret is required with %s", c.AuthMethod)
			}
		case PrivateKeyJWT:
			if c.Signer == nil {
				return errors.New("private_key_jwt requires a Signer")
			}
			if err := checkAlgorithm(c.SigningAlgorithm, c.Signer.Public()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown AuthMethod %d", int(c.AuthMethod))
		}
	case Lengow:
		if c.ClientID == "" || c.ClientSecret == "" {
			return errors.New("ClientID and ClientSecret are required in the Lengow dialect")
		}
	case Lemonway:
		if c.APIKey == "" {
			return errors.New("APIKey is required in the Lemonway dialect")
		}
	default:
		return fmt.Errorf("unknown Dialect %d", int(c.Dialect))
	}
	return nil
}
