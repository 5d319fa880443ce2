package tokens

import (
	"context"
	"net/netip"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// Guard protects the token endpoint: IP bans, rate limits per source IP and
// per client, brute-force detection, audit of failures and usage counting
// (internal/protect implements it). Issue calls it at fixed points, so no
// dialect can skip it; an Issuer without a Guard admits everything.
//
// env is the environment the request is for: the one its path names, or,
// for the legacy dialects, the one of the client its credentials name; nil
// when neither is known. claimed is the loaded client the credentials name,
// before they are checked, or nil. A Guard must never record the request's
// secret.
type Guard interface {
	// Admit runs first, before the credentials are looked at: a banned
	// source or one over its limit gets an error (429 slow_down with
	// RetryAfter). It may leave the per-IP limit of a request naming a
	// loaded client to the guard's next call (req.IPLimitPending): a
	// source over its limit then gets the same 429 from AdmitClient,
	// AuthFailed or AllowlistDenied, in place of what the request would
	// otherwise have got, and nothing else of the request is counted.
	Admit(ctx context.Context, req *Request, env *cache.Environment, claimed *gatehouse.Client) *Error
	// Banned refuses a banned source (429 slow_down with RetryAfter) and
	// nothing else. It guards what is not a token request (introspection,
	// revocation, the admin API, whose callers have no token-request
	// limits) and token requests refused before Admit (malformed ones), so
	// that a banned address learns nothing from any endpoint.
	Banned(ctx context.Context, req *Request, env *cache.Environment) *Error
	// AdmitClient runs once the client is authenticated: the client's own
	// limit.
	AdmitClient(ctx context.Context, req *Request, env *cache.Environment, c *gatehouse.Client) *Error
	// AuthFailed records a failed client authentication; reason is the
	// refusal's own code when it has one (Error.Reason), "" otherwise. It
	// returns the 429 of a per-IP limit Admit left pending, the answer to
	// give in place of invalid_client (the failure is then not recorded),
	// or nil.
	AuthFailed(ctx context.Context, req *Request, env *cache.Environment, claimed *gatehouse.Client, reason string) *Error
	// AllowlistDenied records an authenticated client refused because the
	// request came from outside its IP allowlist. It returns the 429 of a
	// per-IP limit Admit left pending, as AuthFailed does, or nil.
	AllowlistDenied(ctx context.Context, req *Request, env *cache.Environment, c *gatehouse.Client) *Error
	// Done runs after every request with its result (tok or oerr) and the
	// time it took.
	Done(ctx context.Context, req *Request, env *cache.Environment, tok *Token, oerr *Error, elapsed time.Duration)
}

// Issue handles a token request: protection (Guard), environment, grant
// type, client authentication, scope and audience, then mints the token.
func (i *Issuer) Issue(ctx context.Context, req *Request) (*Token, *Error) {
	if i.guard == nil {
		return i.issue(ctx, req)
	}
	start := time.Now()
	claimed, env := i.requestTarget(req)
	var tok *Token
	oerr := i.guard.Admit(ctx, req, env, claimed)
	if oerr == nil {
		tok, oerr = i.issue(ctx, req)
	}
	i.guard.Done(ctx, req, env, tok, oerr, time.Since(start))
	return tok, oerr
}

// requestTarget returns the loaded client the request's credentials name
// and the environment the request is for; either may be nil.
func (i *Issuer) requestTarget(req *Request) (*gatehouse.Client, *cache.Environment) {
	var claimed *gatehouse.Client
	if req.Credentials.ClientID != "" {
		claimed = i.dir.Client(req.Credentials.ClientID)
	}
	switch {
	case req.Environment != "":
		return claimed, i.dir.Environment(req.Environment)
	case claimed != nil:
		return claimed, i.dir.Environment(claimed.Environment)
	}
	return claimed, nil
}

// guardAuthFailed tells the guard that client authentication failed (and
// why, when the refusal failed has its own reason) and returns the answer
// to give: the guard's (a pending per-IP limit's 429) or else failed.
func (i *Issuer) guardAuthFailed(ctx context.Context, req *Request, failed *Error) *Error {
	if i.guard != nil {
		claimed, env := i.requestTarget(req)
		reason := ""
		if failed != nil {
			reason = failed.Reason
		}
		if oerr := i.guard.AuthFailed(ctx, req, env, claimed, reason); oerr != nil {
			return oerr
		}
	}
	return failed
}

// guardAllowlistDenied tells the guard that c's allowlist refused the
// request and returns the answer to give, as guardAuthFailed does.
func (i *Issuer) guardAllowlistDenied(ctx context.Context, req *Request, env *cache.Environment, c *gatehouse.Client, denied *Error) *Error {
	if i.guard != nil {
		if oerr := i.guard.AllowlistDenied(ctx, req, env, c); oerr != nil {
			return oerr
		}
	}
	return denied
}

// guardAdmitClient applies the authenticated client's rate limit.
func (i *Issuer) guardAdmitClient(ctx context.Context, req *Request, env *cache.Environment, c *gatehouse.Client) *Error {
	if i.guard == nil {
		return nil
	}
	return i.guard.AdmitClient(ctx, req, env, c)
}

// Endpoints other than the token endpoint whose caller authentication goes
// through the guard; they are a Request's Dialect there.
const (
	EndpointIntrospection = "introspection"
	EndpointRevocation    = "revocation"
	EndpointAdminAPI      = "admin_api"
)

// AuthBearer is the authentication method of a bearer access token
// presented to the admin API.
const AuthBearer = "bearer_token"

// guardTimeout bounds the guard's calls (Redis) for callers without a
// context of their own.
const guardTimeout = 2 * time.Second

// CheckBan refuses a banned source with 429 slow_down: the check every
// endpoint makes before it looks at anything else of a request. httpapi
// calls it when it refuses a request it could not parse, so that a banned
// address gets 429 rather than 400 or 401.
func (i *Issuer) CheckBan(ctx context.Context, env string, from netip.Addr, dialect string) *Error {
	if i.guard == nil {
		return nil
	}
	req := &Request{Environment: env, RemoteIP: from, Dialect: dialect}
	var e *cache.Environment
	if env != "" {
		e = i.dir.Environment(env)
	}
	return i.guard.Banned(ctx, req, e)
}

// authenticateGuarded authenticates the caller of an endpoint other than
// the token endpoint behind the same guard as token requests: a banned
// source gets 429 before its credentials are looked at, and a failed
// authentication is audited (never with the credential) and counts toward
// a brute-force ban of its source.
func (i *Issuer) authenticateGuarded(ctx context.Context, env string, cr Credentials, from netip.Addr, endpoint string) (*gatehouse.Client, *cache.Environment, *Error) {
	req := &Request{Environment: env, Credentials: cr, RemoteIP: from, Dialect: endpoint}
	if i.guard != nil {
		_, e := i.requestTarget(req)
		if oerr := i.guard.Banned(ctx, req, e); oerr != nil {
			return nil, nil, oerr
		}
	}
	c, e, _, denied, oerr := i.authenticate(env, cr, from)
	switch {
	case denied != nil:
		oerr = i.guardAllowlistDenied(ctx, req, e, denied, oerr)
	case oerr != nil:
		oerr = i.guardAuthFailed(ctx, req, oerr)
	}
	return c, e, oerr
}
