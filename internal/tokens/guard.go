package tokens

import (
	"context"
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
	// RetryAfter).
	Admit(ctx context.Context, req *Request, env *cache.Environment, claimed *gatehouse.Client) *Error
	// AdmitClient runs once the client is authenticated: the client's own
	// limit.
	AdmitClient(ctx context.Context, req *Request, env *cache.Environment, c *gatehouse.Client) *Error
	// AuthFailed records a failed client authentication.
	AuthFailed(ctx context.Context, req *Request, env *cache.Environment, claimed *gatehouse.Client)
	// AllowlistDenied records an authenticated client refused because the
	// request came from outside its IP allowlist.
	AllowlistDenied(ctx context.Context, req *Request, env *cache.Environment, c *gatehouse.Client)
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

// guardAuthFailed tells the guard that client authentication failed.
func (i *Issuer) guardAuthFailed(ctx context.Context, req *Request) {
	if i.guard != nil {
		claimed, env := i.requestTarget(req)
		i.guard.AuthFailed(ctx, req, env, claimed)
	}
}

// guardAllowlistDenied tells the guard that c's allowlist refused the
// request.
func (i *Issuer) guardAllowlistDenied(ctx context.Context, req *Request, env *cache.Environment, c *gatehouse.Client) {
	if i.guard != nil {
		i.guard.AllowlistDenied(ctx, req, env, c)
	}
}

// guardAdmitClient applies the authenticated client's rate limit.
func (i *Issuer) guardAdmitClient(ctx context.Context, req *Request, env *cache.Environment, c *gatehouse.Client) *Error {
	if i.guard == nil {
		return nil
	}
	return i.guard.AdmitClient(ctx, req, env, c)
}
