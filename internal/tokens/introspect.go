package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// Introspection is an RFC 7662 §2.2 introspection response. When Active is
// false every other field is empty.
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	ExpiresAt int64  `json:"exp,omitempty"`
	IssuedAt  int64  `json:"iat,omitempty"`
	Subject   string `json:"sub,omitempty"`
	Audience  string `json:"aud,omitempty"`
	Issuer    string `json:"iss,omitempty"`
	ID        string `json:"jti,omitempty"`
	AccountID int64  `json:"account_id,omitempty"`
	// SecretID is the client secret the token was issued with, so that a
	// resource server caching this answer can apply a revocation of that
	// secret from the revocation feed.
	SecretID int64 `json:"secret_id,omitempty"`
}

// validate returns the claims of token if it is an active token of env:
// signed by one of env's published keys (or sealed for env, if opaque),
// issued by env's issuer, unexpired, not revoked, and held by a client that
// is still active, through a secret that was not revoked.
func (i *Issuer) validate(env *cache.Environment, token string) (*Claims, bool) {
	c, ok := i.verify(env, token)
	if !ok || c.ExpiresAt <= i.now().Unix() || i.dir.Revoked(c.ID) {
		return nil, false
	}
	client := i.dir.Client(c.ClientID)
	if client == nil || !client.Active() || client.Environment != env.Name || i.dir.ClientRevoked(c.ClientID) {
		return nil, false
	}
	if c.SecretID != 0 && (i.dir.SecretRevoked(c.SecretID) || !secretLive(client, c.SecretID, i.now())) {
		return nil, false
	}
	return c, true
}

// secretLive reports whether client still holds the secret with id and it
// has not expired: a token lives no longer than the secret it was issued
// with, so a rotation's grace period ends its tokens too, and a secret a
// rotation or reset dropped takes its tokens with it.
func secretLive(client *gatehouse.Client, id int64, now time.Time) bool {
	for _, s := range client.Secrets {
		if s.ID == id {
			return s.ExpiresAt.IsZero() || s.ExpiresAt.After(now)
		}
	}
	return false
}

// verify checks what never changes about a token: its signature (JWT) or
// seal (opaque), its issuer and that it has an id. Tokens that pass are
// remembered (verified.go), so checking one again costs a hash.
func (i *Issuer) verify(env *cache.Environment, token string) (*Claims, bool) {
	if token == "" || len(token) > maxTokenLength {
		return nil, false
	}
	key := sha256.Sum256([]byte(token))
	if c, ok := i.verified.get(key, env); ok {
		return c, true
	}
	var payload []byte
	var err error
	if IsOpaque(token) {
		payload, err = i.opaque.open(env.Name, token)
	} else {
		payload, err = env.Keys.Verify(token)
	}
	if err != nil {
		return nil, false
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, false
	}
	if c.Issuer != i.issuerURL(env.Name) || c.ID == "" {
		return nil, false
	}
	if c.ExpiresAt > i.now().Unix() {
		i.verified.put(key, verifiedToken{env: env, claims: &c})
	}
	return &c, true
}

// Introspect answers an introspection request (RFC 7662) made by an
// authenticated client of envName about token. Any client of the
// environment may introspect any of its tokens. The caller's authentication
// goes through the guard as a token request's does (bans, brute force,
// audit).
// from is the address the request came from, checked against the caller's
// IP allowlist.
func (i *Issuer) Introspect(envName string, caller Credentials, from netip.Addr, token string) (*Introspection, *Error) {
	env, oerr := i.Environment(envName)
	if oerr != nil {
		return nil, oerr
	}
	if oerr := i.fresh(); oerr != nil {
		return nil, oerr
	}
	ctx, cancel := context.WithTimeout(context.Background(), guardTimeout)
	defer cancel()
	if _, _, oerr := i.authenticateGuarded(ctx, envName, caller, from, EndpointIntrospection); oerr != nil {
		return nil, oerr
	}
	if token == "" {
		return nil, NewError(ErrInvalidRequest, "token is required")
	}
	c, ok := i.validate(env, token)
	if !ok {
		return &Introspection{Active: false}, nil
	}
	return &Introspection{
		Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: "Bearer",
		ExpiresAt: c.ExpiresAt, IssuedAt: c.IssuedAt, Subject: c.Subject, Audience: c.Audience,
		Issuer: c.Issuer, ID: c.ID, AccountID: c.AccountID, SecretID: c.SecretID,
	}, nil
}

// Revoke revokes token on behalf of an authenticated client of envName
// (RFC 7009). An invalid, expired or unknown token is not an error; another
// client's token is refused with unauthorized_client and stays valid. from
// is the address the request came from, checked against the caller's IP
// allowlist.
func (i *Issuer) Revoke(ctx context.Context, envName string, caller Credentials, from netip.Addr, token string) *Error {
	env, oerr := i.Environment(envName)
	if oerr != nil {
		return oerr
	}
	if oerr := i.fresh(); oerr != nil {
		return oerr
	}
	client, _, oerr := i.authenticateGuarded(ctx, envName, caller, from, EndpointRevocation)
	if oerr != nil {
		return oerr
	}
	if token == "" {
		return NewError(ErrInvalidRequest, "token is required")
	}
	c, ok := i.validate(env, token)
	if !ok {
		return nil
	}
	if c.ClientID != client.ID {
		return NewError(ErrUnauthorizedClient, "a client may revoke only its own tokens")
	}
	err := i.store.RevokeToken(ctx, &gatehouse.RevokedToken{
		ID: c.ID, Environment: env.Name, ClientID: c.ClientID,
		ExpiresAt: unix(c.ExpiresAt), RevokedAt: i.now(),
	})
	if err == nil {
		err = i.dir.Refresh(ctx)
	}
	if err != nil {
		i.logger.ErrorContext(ctx, "revoke token", "client_id", client.ID, "environment", env.Name, "err", err)
		if gatehouse.ErrorCode(err) == gatehouse.EUNAVAILABLE {
			return NewError(ErrTemporarilyUnavailable, "the token store is unreachable; retry later")
		}
		return NewError(ErrServerError, "the token could not be revoked")
	}
	return nil
}

// AuthenticateBearer authenticates a bearer credential presented to a
// resource Gatehouse itself serves (the admin API) from the address from:
// an access token issued by envName, or an API key of one of envName's
// clients. A token must name envName's issuer as its audience (a token
// meant for another API is no admin credential), must not have been issued
// to live longer than the bearer lifetime limit, and its client must still
// admit from in its IP allowlist, as the API key's client must.
func (i *Issuer) AuthenticateBearer(envName, credential string, from netip.Addr) (*gatehouse.Principal, error) {
	ctx, cancel := context.WithTimeout(context.Background(), guardTimeout)
	defer cancel()
	req := &Request{Environment: envName, RemoteIP: from, Dialect: EndpointAdminAPI}
	if i.guard != nil {
		if oerr := i.guard.Banned(ctx, req, i.dir.Environment(envName)); oerr != nil {
			return nil, &gatehouse.Error{Code: gatehouse.ETOOMANYREQUESTS, Message: oerr.Description, RetryAfter: oerr.RetryAfter}
		}
	}
	p, err := i.authenticateBearer(ctx, req, credential)
	if gatehouse.ErrorCode(err) == gatehouse.EUNAUTHORIZED {
		i.guardAuthFailed(ctx, req, nil) // Banned left no limit pending
	}
	return p, err
}

// bearerError is the application error for a failed authentication: a
// fault of the server (the client could not be read in time) is
// unavailable or internal, so that a valid credential is not answered as a
// wrong one (nor counted towards a brute-force ban); anything else is
// refused.
func bearerError(oerr *Error, refused error) error {
	switch {
	case oerr.Status == 503:
		return gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the credential store is unreachable; retry later")
	case oerr.Status >= 500:
		return gatehouse.Errorf(gatehouse.EINTERNAL, "internal error")
	}
	return refused
}

// authenticateBearer is AuthenticateBearer behind the guard; it fills in
// req.Credentials with what was presented (for the audit record, which
// keeps only the method and a known client id).
func (i *Issuer) authenticateBearer(ctx context.Context, req *Request, credential string) (*gatehouse.Principal, error) {
	envName, from := req.Environment, req.RemoteIP
	unauthorized := gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "a valid bearer token or API key of the %s environment is required", envName)
	env := i.dir.Environment(envName)
	if env == nil || credential == "" {
		return nil, unauthorized
	}
	if i.fresh() != nil {
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the credential store is unreachable; retry later")
	}
	if gatehouse.LooksLikeAPIKey(credential) {
		req.Credentials.Method = AuthAPIKey
		id, secret, err := gatehouse.ParseAPIKey(credential)
		if err != nil {
			return nil, unauthorized
		}
		req.Credentials.ClientID = id
		c, _, _, denied, oerr := i.authenticate(envName, Credentials{Method: AuthAPIKey, ClientID: id, Secret: secret}, from)
		if denied != nil {
			i.guardAllowlistDenied(ctx, req, env, denied, nil) // Banned left no limit pending
			return nil, unauthorized
		}
		if oerr != nil {
			return nil, bearerError(oerr, unauthorized)
		}
		return &gatehouse.Principal{ClientID: c.ID, Environment: envName, AccountID: c.AccountID, Scopes: c.Scopes}, nil
	}
	if gatehouse.ValidLegacyKey(credential) && !strings.Contains(credential, ".") {
		// A legacy API key of another server, imported as it was (a JWT
		// always holds dots).
		c, _, oerr := i.Authenticate(envName, Credentials{Method: AuthAPIKey, ClientID: gatehouse.LegacyKeyClientID(credential), Secret: credential}, from)
		if oerr == nil {
			return &gatehouse.Principal{ClientID: c.ID, Environment: envName, AccountID: c.AccountID, Scopes: c.Scopes}, nil
		}
		if oerr.Status >= 500 {
			return nil, bearerError(oerr, unauthorized)
		}
	}
	req.Credentials.Method = AuthBearer
	c, ok := i.validate(env, credential)
	if !ok || c.Audience != i.issuerURL(envName) {
		return nil, unauthorized
	}
	req.Credentials.ClientID = c.ClientID
	if i.bearerLifetime > 0 && c.ExpiresAt-c.IssuedAt > int64(i.bearerLifetime/time.Second) {
		return nil, unauthorized
	}
	if client := i.dir.Client(c.ClientID); client == nil || !client.AllowsIP(from) {
		return nil, unauthorized
	}
	return &gatehouse.Principal{ClientID: c.ClientID, Environment: envName, AccountID: c.AccountID, Scopes: strings.Fields(c.Scope)}, nil
}
