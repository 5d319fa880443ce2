package tokens

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// AuthSignedInUser marks a token request made by a signed-in dashboard user
// for one of the credentials they manage (IssueTestToken). No dialect sets
// it, and Authenticate accepts no credentials under it.
const AuthSignedInUser = "signed_in_user"

// DialectDashboard names test tokens in metrics and usage.
const DialectDashboard = "dashboard"

// IssueTestToken issues a token to the client clientID for a dashboard user
// who may manage that client (the caller checks this), so that they can see
// what their programs will get. Every check of a token request applies
// except the secret, which the server does not know: the guard's bans and
// limits, the client's status (a must-rotate client gets no token) and IP
// allowlist (against remoteIP, the
// user's address), its scopes and default audience, the environment's and
// client's token settings. The token is always a fresh one (never a reused
// one, which is sealed under a secret), and it counts in the client's usage.
// It returns the token and its verified claims.
func (i *Issuer) IssueTestToken(ctx context.Context, clientID string, remoteIP netip.Addr) (*Token, *Claims, *Error) {
	c := i.dir.Client(clientID)
	if c == nil {
		return nil, nil, errClientAuth()
	}
	req := &Request{
		Environment: c.Environment, GrantType: GrantClientCredentials, RemoteIP: remoteIP,
		Credentials: Credentials{Method: AuthSignedInUser, ClientID: clientID}, Dialect: DialectDashboard,
	}
	env := i.dir.Environment(c.Environment)
	var tok *Token
	var claims *Claims
	var oerr *Error
	start := time.Now()
	if i.guard != nil {
		oerr = i.guard.Admit(ctx, req, env, c)
	}
	if oerr == nil {
		tok, claims, oerr = i.issueTest(ctx, req, env)
	}
	if i.guard != nil {
		i.guard.Done(ctx, req, env, tok, oerr, time.Since(start))
	}
	return tok, claims, oerr
}

func (i *Issuer) issueTest(ctx context.Context, req *Request, env *cache.Environment) (*Token, *Claims, *Error) {
	if err := i.fresh(); err != nil {
		return nil, nil, err
	}
	c := i.dir.Client(req.Credentials.ClientID)
	if c == nil || !c.Active() || env == nil || c.Environment != env.Name {
		return nil, nil, NewError(ErrInvalidClient, "the credential is revoked or no longer exists")
	}
	if c.MustRotate {
		// Its programs get no token, so neither does the test.
		e := NewError(ErrInvalidClient, "the credential was imported without its secret and gets no token until it is renewed or rotated")
		e.Reason = ReasonMustRotate
		return nil, nil, e
	}
	if !c.AllowsIP(req.RemoteIP) {
		return nil, nil, i.guardAllowlistDenied(ctx, req, env, c,
			NewError(ErrInvalidClient, "your address is outside the credential's IP allowlist"))
	}
	if oerr := i.guardAdmitClient(ctx, req, env, c); oerr != nil {
		return nil, nil, oerr
	}
	settings := c.Tokens.Apply(env.Tokens)
	aud, oerr := audience(c, settings, nil, i.issuerURL(env.Name))
	if oerr != nil {
		return nil, nil, oerr
	}
	tok, err := i.mint(env, c, settings, strings.Join(c.Scopes, " "), aud, 0)
	if err != nil {
		i.logger.ErrorContext(ctx, "issue test token", "client_id", c.ID, "environment", env.Name, "err", err)
		return nil, nil, NewError(ErrServerError, "the token could not be issued")
	}
	claims, ok := i.verify(env, tok.AccessToken)
	if !ok {
		return nil, nil, NewError(ErrServerError, "the token just issued does not verify")
	}
	return tok, claims, nil
}
