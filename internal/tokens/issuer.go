package tokens

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
)

// Config configures an Issuer.
type Config struct {
	Directory *cache.Directory
	Store     gatehouse.Store
	// IssuerURL returns an environment's issuer: {public_url}/realms/{env}.
	IssuerURL func(env string) string
	Now       func() time.Time
	Rand      io.Reader
	Logger    *slog.Logger
	// MaxStaleness is how long the cache may go without reaching the store
	// before token requests get 503 temporarily_unavailable: beyond it a
	// revoked credential could still be honoured. Zero means forever.
	MaxStaleness time.Duration
	// MasterKey seals opaque access tokens (opaque.go); without it an
	// environment or client set to opaque tokens gets server_error.
	MasterKey *masterkey.Keyring
	// Guard protects the endpoint (guard.go); nil for no protection.
	Guard Guard
	// BearerLifetime is the longest lifetime of a token of the admin
	// environment: such tokens are issued to live at most this long, and
	// AuthenticateBearer refuses a token issued to live longer. Zero means
	// no limit beyond the environment's settings.
	BearerLifetime time.Duration
	// SecretMemo remembers verified presentations of imported secrets
	// (gatehouse.SecretMemo); nil makes every presentation of an imported
	// secret pay for its slow hash.
	SecretMemo *gatehouse.SecretMemo
	// Rehash re-hashes an imported secret after its first successful use;
	// nil keeps imported secrets under their imported hash.
	Rehash RehashFunc
}

// Issuer is the issuing core.
type Issuer struct {
	dir            *cache.Directory
	store          gatehouse.Store
	issuerURL      func(string) string
	now            func() time.Time
	rand           io.Reader
	logger         *slog.Logger
	maxStaleness   time.Duration
	reused         reuseCache
	assertions     assertionState // private_key_jwt (assertion.go)
	opaque         *opaqueCodec
	verified       verifiedCache
	guard          Guard
	bearerLifetime time.Duration
	imported       importedSecrets
}

// NewIssuer returns an issuer.
func NewIssuer(cfg Config) *Issuer {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Issuer{
		dir: cfg.Directory, store: cfg.Store, issuerURL: cfg.IssuerURL,
		now: cfg.Now, rand: cfg.Rand, logger: cfg.Logger, maxStaleness: cfg.MaxStaleness,
		opaque: newOpaqueCodec(cfg.MasterKey, cfg.Rand), guard: cfg.Guard,
		bearerLifetime: cfg.BearerLifetime,
		imported:       importedSecrets{memo: cfg.SecretMemo, rehash: cfg.Rehash, started: map[int64]bool{}},
	}
}

// IssuerURL returns the issuer of env.
func (i *Issuer) IssuerURL(env string) string { return i.issuerURL(env) }

// Environment returns a loaded environment or the 404 invalid_request error.
func (i *Issuer) Environment(name string) (*cache.Environment, *Error) {
	if e := i.dir.Environment(name); e != nil {
		return e, nil
	}
	return nil, ErrUnknownEnvironment(name)
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresAt   time.Time
	// ExpiresIn is the lifetime left, in whole seconds.
	ExpiresIn   int64
	Scope       string
	Client      *gatehouse.Client
	Environment string
}

// issue handles a token request behind the guard (Issue, guard.go):
// environment, grant type, client authentication, scope and audience, then
// mints the token.
func (i *Issuer) issue(ctx context.Context, req *Request) (*Token, *Error) {
	if req.Environment != "" {
		if _, err := i.Environment(req.Environment); err != nil {
			return nil, err
		}
	}
	switch req.GrantType {
	case "":
		return nil, NewError(ErrInvalidRequest, "grant_type is required")
	case GrantClientCredentials:
	default:
		return nil, NewError(ErrUnsupportedGrantType, "grant type %q is not supported; use client_credentials", req.GrantType)
	}
	if err := i.fresh(); err != nil {
		return nil, err
	}
	client, env, secretID, denied, oerr := i.authenticate(req.Environment, req.Credentials, req.RemoteIP)
	if denied != nil {
		return nil, i.guardAllowlistDenied(ctx, req, env, denied, oerr)
	}
	if oerr != nil {
		return nil, i.guardAuthFailed(ctx, req, oerr)
	}
	if req.Settings != nil && !req.Settings.Serves(env.Name) {
		// The legacy dialects know nothing of scopes narrower than a
		// client's and issue long-lived tokens: they never serve the admin
		// environment, nor one the configuration keeps them out of.
		return nil, i.guardAuthFailed(ctx, req, errClientAuth())
	}
	if oerr := i.guardAdmitClient(ctx, req, env, client); oerr != nil {
		return nil, oerr
	}
	requested := scopes(req.Scope)
	if !client.AllowsScope(requested) {
		return nil, NewError(ErrInvalidScope, "requested scope is not allowed for this client")
	}
	if len(requested) == 0 {
		requested = client.Scopes
	}
	// The environment's settings, then the dialect's, then the client's own.
	settings := client.Tokens.Apply(req.Settings.apply(env.Name, env.Tokens))
	if env.Name == gatehouse.EnvAdmin && i.bearerLifetime > 0 && settings.Lifetime > i.bearerLifetime {
		settings.Lifetime = i.bearerLifetime
	}
	aud, oerr := audience(client, settings, req.Audiences, i.issuerURL(env.Name))
	if oerr != nil {
		return nil, oerr
	}
	scope := strings.Join(requested, " ")
	var tok *Token
	var err error
	// A reusable token is sealed under the client secret (reuse.go), which a
	// private_key_jwt client does not send: such clients get fresh tokens.
	if settings.Reuse && req.Credentials.Method != AuthPrivateKeyJWT {
		tok, err = i.issueReusable(ctx, env, client, req.Credentials.Secret, secretID, settings, scope, aud)
	} else {
		tok, err = i.mint(env, client, settings, scope, aud, secretID)
	}
	if err != nil {
		i.logger.ErrorContext(ctx, "issue token", "client_id", client.ID, "environment", env.Name, "err", err)
		if errors.Is(err, gatehouse.ErrUnavailable) {
			return nil, NewError(ErrTemporarilyUnavailable, "the token store is unreachable; retry later")
		}
		return nil, NewError(ErrServerError, "the token could not be issued")
	}
	return tok, nil
}

// fresh refuses service when the cache has lost the store for too long.
func (i *Issuer) fresh() *Error {
	if i.maxStaleness > 0 && i.now().Sub(i.dir.LastSync()) > i.maxStaleness {
		return NewError(ErrTemporarilyUnavailable, "the credential store is unreachable; retry later")
	}
	return nil
}

// audience picks the token's audience: the requested one if the client may
// use it (RFC 8707), else the default audience, else the issuer.
func audience(c *gatehouse.Client, s gatehouse.TokenSettings, requested []string, issuer string) (string, *Error) {
	switch len(requested) {
	case 0:
		if s.DefaultAudience != "" {
			return s.DefaultAudience, nil
		}
		return issuer, nil
	case 1:
		if c.AllowsAudience(requested[0]) || requested[0] == s.DefaultAudience {
			return requested[0], nil
		}
		return "", NewError(ErrInvalidTarget, "requested audience is not allowed for this client")
	}
	return "", NewError(ErrInvalidTarget, "request one audience per token")
}

// Authenticate checks a client's credentials against the cache, and that
// from, the address the request came from, is inside the client's IP
// allowlist. env is the environment the request is addressed to, or "" to
// let the credential decide. Every failure is the same invalid_client error.
//
// Every endpoint that authenticates a client (token, introspection,
// revocation, the admin API, the revocation feed) goes through it, so no
// endpoint can skip the allowlist.
func (i *Issuer) Authenticate(env string, cr Credentials, from netip.Addr) (*gatehouse.Client, *cache.Environment, *Error) {
	c, e, _, _, oerr := i.authenticate(env, cr, from)
	return c, e, oerr
}

// authenticate is Authenticate that also returns the id of the secret that
// matched (0 for private_key_jwt), so that the secret is checked once per
// request, and says, when the credentials were right but the address is
// outside the allowlist, which client refused it (denied, with its
// environment), so that the token endpoint can record it.
func (i *Issuer) authenticate(env string, cr Credentials, from netip.Addr) (c *gatehouse.Client, e *cache.Environment, secretID int64, denied *gatehouse.Client, oerr *Error) {
	switch cr.Method {
	case AuthNone:
		return nil, nil, 0, nil, NewError(ErrInvalidClient, "client authentication is required")
	case AuthPrivateKeyJWT:
		c, e, oerr = i.authenticateAssertion(env, cr)
		if oerr != nil {
			return nil, nil, 0, nil, oerr
		}
	default:
		var err error
		if c, err = i.dir.LookupClient(cr.ClientID); err != nil {
			return nil, nil, 0, nil, NewError(ErrTemporarilyUnavailable, "the credential store is unreachable; retry later")
		}
		m := i.match(c, cr.Secret)
		if c != nil && c.MustRotate && c.Active() && (env == "" || c.Environment == env) {
			// No secret of a must-rotate client is accepted, whatever was
			// sent; the answer is that of a wrong secret.
			return nil, nil, 0, nil, errMustRotate()
		}
		if !m.OK || !c.Active() || (env != "" && c.Environment != env) {
			return nil, nil, 0, nil, errClientAuth()
		}
		secretID = m.ID
		if e = i.dir.Environment(c.Environment); e == nil {
			return nil, nil, 0, nil, errClientAuth()
		}
	}
	if !c.AllowsIP(from) {
		return nil, e, 0, c, errClientAuth()
	}
	return c, e, secretID, nil, nil
}

// Claims are the claims of a Gatehouse JWT access token (RFC 9068 §2.2).
type Claims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	ExpiresAt int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	ID        string `json:"jti"`
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope,omitempty"`
	AccountID int64  `json:"account_id"`
	// SecretID names the client secret the token was issued with, so that
	// revoking that secret revokes the token (docs/tokens.md); 0 for none.
	SecretID int64 `json:"secret_id,omitempty"`
}

func (i *Issuer) mint(env *cache.Environment, c *gatehouse.Client, s gatehouse.TokenSettings, scope, aud string, secretID int64) (*Token, error) {
	key := env.Keys.Active
	if key == nil && s.Format != gatehouse.TokenFormatOpaque {
		return nil, fmt.Errorf("environment %s has no active signing key", env.Name)
	}
	jti, err := i.tokenID()
	if err != nil {
		return nil, err
	}
	now := i.now()
	exp := now.Add(s.Lifetime)
	payload, err := json.Marshal(Claims{
		Issuer: i.issuerURL(env.Name), Subject: c.ID, Audience: aud,
		ExpiresAt: exp.Unix(), IssuedAt: now.Unix(), ID: jti,
		ClientID: c.ID, Scope: scope, AccountID: c.AccountID, SecretID: secretID,
	})
	if err != nil {
		return nil, err
	}
	var jwt string
	if s.Format == gatehouse.TokenFormatOpaque {
		jwt, err = i.opaque.seal(env.Name, payload)
	} else {
		jwt, err = key.Sign(payload)
	}
	if err != nil {
		return nil, err
	}
	return &Token{
		AccessToken: jwt, ExpiresAt: time.Unix(exp.Unix(), 0), ExpiresIn: int64(s.Lifetime / time.Second),
		Scope: scope, Client: c, Environment: env.Name,
	}, nil
}

// tokenID returns 128 random bits, base64url-encoded.
func (i *Issuer) tokenID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(i.rand, b[:]); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
