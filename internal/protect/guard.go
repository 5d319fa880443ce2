package protect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/metrics"
	"github.com/gatehouse-dev/gatehouse/internal/ratelimit"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// Limiter key kinds.
const (
	kindIP       = "ip"       // token requests per source IP and environment
	kindClient   = "client"   // token requests per client
	kindAuthFail = "authfail" // failed authentications per source IP
	kindRejected = "rejected" // rate-limit refusals per source IP
)

// Threshold is Count events within Window, counted by a GCRA limit of
// Count per Window with a burst of Count: the Count+1st event in a burst
// crosses it, and the allowance comes back at Count per Window.
type Threshold struct {
	Count  int           `yaml:"count"`
	Window time.Duration `yaml:"window"`
}

func (t Threshold) limit() ratelimit.Limit {
	return ratelimit.Limit{Rate: t.Count, Burst: t.Count, Period: t.Window}
}

// Default thresholds and ban duration.
var (
	// DefaultBruteForce bans a source after 20 failed authentications in
	// 10 minutes: far more than a person mistyping a secret or a deploy
	// with a stale one, far fewer than guessing needs.
	DefaultBruteForce = Threshold{Count: 20, Window: 10 * time.Minute}
	// DefaultFlood bans a source that was refused by rate limits 100
	// times in a minute: it ignores Retry-After.
	DefaultFlood = Threshold{Count: 100, Window: time.Minute}
)

// DefaultBanDuration is how long a ban lasts unless configured.
const DefaultBanDuration = 15 * time.Minute

// Recorder takes audit events and usage counts (internal/audit.Recorder).
type Recorder interface {
	Record(e *gatehouse.AuditEvent)
	ClientUsed(clientID, env string, accountID int64, now time.Time)
}

// Config configures a Guard.
type Config struct {
	// Limiter counts requests and failures; nil switches rate limits,
	// bans and brute-force detection off (metrics, audit events and usage
	// counts stay).
	Limiter ratelimit.Limiter
	// Bans is the ban list; required with a Limiter.
	Bans    bans.List
	Audit   Recorder         // nil: no audit events or usage counts
	Metrics *metrics.Metrics // nil: no metrics
	// BruteForce bans a source after that many failed authentications;
	// Count 0 switches it off.
	BruteForce Threshold
	// Flood bans a source after that many rate-limit refusals; Count 0
	// switches it off.
	Flood Threshold
	// BanDuration is how long a ban lasts.
	BanDuration time.Duration
	// Exempt lists networks never limited per IP nor banned (the
	// provider's own). Clients from there still have their client limits.
	Exempt []netip.Prefix
	// LimitsTogether applies the per-IP limit of a token request naming
	// a loaded client together with the client's limit, in one limiter
	// call after authentication, instead of one call before and one
	// after: one Redis round trip per token request instead of two. The
	// answers are the same (a source over its limit gets 429 whatever its
	// credentials; a failed authentication from it is neither recorded
	// nor counted), and so are the counts; only the order of work
	// changes. Set it for a Redis limiter.
	LimitsTogether bool
	Now            func() time.Time
	Logger         *slog.Logger
}

// Guard implements tokens.Guard.
type Guard struct {
	cfg      Config
	refusals refusalThrottle // rate-limit refusals recorded (refusals.go)
}

var _ tokens.Guard = (*Guard)(nil)

// New returns a Guard.
func New(cfg Config) *Guard {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BanDuration <= 0 {
		cfg.BanDuration = DefaultBanDuration
	}
	return &Guard{cfg: cfg}
}

// limits returns env's rate limits; a request for no known environment
// gets the defaults.
func limits(env *cache.Environment) (string, gatehouse.RateLimits) {
	if env == nil || env.Environment == nil {
		return "", gatehouse.DefaultRateLimits()
	}
	return env.Name, env.Limits
}

// envLabel names env in metrics: only loaded environments, so that a
// request for a made-up environment cannot add a label value.
func envLabel(env *cache.Environment) string {
	if env == nil || env.Environment == nil {
		return "unknown"
	}
	return env.Name
}

// exempt reports whether ip is outside IP limits and bans: it is in an
// exempt network, or unknown (not a TCP peer).
func (g *Guard) exempt(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	for _, p := range g.cfg.Exempt {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Admit refuses a banned source and applies the per-IP limit.
func (g *Guard) Admit(ctx context.Context, req *tokens.Request, env *cache.Environment, claimed *gatehouse.Client) *tokens.Error {
	if m := g.cfg.Metrics; m != nil && req.Credentials.ClientID != "" {
		result := metrics.Hit
		if claimed == nil {
			result = metrics.Miss
		}
		m.CacheLookups.WithLabelValues(metrics.CacheClients, result).Inc()
	}
	ip := req.RemoteIP.Unmap()
	if g.cfg.Limiter == nil || g.exempt(ip) {
		return nil
	}
	if oerr := g.checkBan(ctx, ip, env); oerr != nil {
		return oerr
	}
	_, l := limits(env)
	if l.IPPerMinute <= 0 {
		return nil
	}
	if g.cfg.LimitsTogether && claimed != nil && env != nil && req.GrantType == tokens.GrantClientCredentials {
		req.IPLimitPending = true
		return nil
	}
	oerr, _ := g.allowEach(ctx, req, env, g.ipCheck(ip, env))
	return oerr
}

// ipCheck is the per-IP limit of env (the defaults for none) for ip.
func (g *Guard) ipCheck(ip netip.Addr, env *cache.Environment) ratelimit.Check {
	name, l := limits(env)
	return ratelimit.Check{
		Key:   ratelimit.Key{Kind: kindIP, Environment: name, ID: bans.SubjectOf(ip)},
		Limit: ratelimit.PerMinute(l.IPPerMinute, l.IPBurst),
	}
}

// pendingIPLimit applies the per-IP limit Admit left pending, if any.
func (g *Guard) pendingIPLimit(ctx context.Context, req *tokens.Request, env *cache.Environment) *tokens.Error {
	if !req.IPLimitPending {
		return nil
	}
	req.IPLimitPending = false
	oerr, _ := g.allowEach(ctx, req, env, g.ipCheck(req.RemoteIP.Unmap(), env))
	return oerr
}

// Banned refuses a banned source and applies no limit.
func (g *Guard) Banned(ctx context.Context, req *tokens.Request, env *cache.Environment) *tokens.Error {
	ip := req.RemoteIP.Unmap()
	if g.cfg.Limiter == nil || g.exempt(ip) {
		return nil
	}
	return g.checkBan(ctx, ip, env)
}

// checkBan returns the 429 answer to a banned ip.
func (g *Guard) checkBan(ctx context.Context, ip netip.Addr, env *cache.Environment) *tokens.Error {
	b, err := g.cfg.Bans.Check(ctx, ip)
	if err != nil {
		g.limiterError("check ban", err)
	}
	if b == nil {
		return nil
	}
	g.countRefusal(env, "banned")
	return slowDown(b.ExpiresAt.Sub(g.cfg.Now()), "too many failed or rejected requests from this address; it is banned for a while")
}

// AdmitClient applies the client's limit, after the per-IP limit if Admit
// left it pending: both in one limiter call.
func (g *Guard) AdmitClient(ctx context.Context, req *tokens.Request, env *cache.Environment, c *gatehouse.Client) *tokens.Error {
	if g.cfg.Limiter == nil {
		return nil
	}
	var buf [2]ratelimit.Check
	checks := buf[:0]
	if req.IPLimitPending {
		req.IPLimitPending = false
		checks = append(checks, g.ipCheck(req.RemoteIP.Unmap(), env))
	}
	name, l := limits(env)
	if l.ClientPerMinute > 0 {
		checks = append(checks, ratelimit.Check{
			Key:   ratelimit.Key{Kind: kindClient, Environment: name, ID: c.ID},
			Limit: ratelimit.PerMinute(l.ClientPerMinute, l.ClientBurst),
		})
	}
	if len(checks) == 0 {
		return nil
	}
	oerr, refusedBy := g.allowEach(ctx, req, env, checks...)
	if refusedBy == kindClient {
		g.recordRateLimited(c, req.RemoteIP.Unmap(), l.ClientPerMinute)
	}
	return oerr
}

// allowEach counts a request under checks in order (see
// ratelimit.Limiter.AllowEach); a refusal counts toward a flood ban of
// the source. It returns the answer and the kind of limit that refused
// the request ("" if none did).
func (g *Guard) allowEach(ctx context.Context, req *tokens.Request, env *cache.Environment, checks ...ratelimit.Check) (*tokens.Error, string) {
	d, refused, err := g.cfg.Limiter.AllowEach(ctx, checks...)
	if err != nil {
		if errors.Is(err, ratelimit.ErrUnavailable) {
			g.limiterError("rate limit", err)
			return tokens.NewError(tokens.ErrTemporarilyUnavailable, "rate limiting is unavailable; retry later"), ""
		}
		if ctx.Err() != nil {
			return tokens.NewError(tokens.ErrTemporarilyUnavailable, "the request was cancelled"), ""
		}
		g.limiterError("rate limit", err) // decide in the caller's favour
		return nil, ""
	}
	if d.Allowed || refused < 0 {
		return nil, ""
	}
	kind := checks[refused].Key.Kind
	g.countRefusal(env, kind)
	ip := req.RemoteIP.Unmap()
	if g.cfg.Flood.Count > 0 && !g.exempt(ip) {
		g.countTowardBan(ctx, ip, env, kindRejected, g.cfg.Flood, bans.ReasonRateLimit)
	}
	why := "too many token requests for this client; cache the token until it expires"
	if kind == kindIP {
		why = "too many token requests from this address"
	}
	return slowDown(d.RetryAfter, why), kind
}

// AuthFailed audits a failed authentication and counts it toward a
// brute-force ban of the source. A request without credentials guessed
// nothing: it is neither counted nor, except at the admin API (where every
// refused call is audited), recorded. A request over the per-IP limit
// Admit left pending gets that limit's 429 instead, and its failure is
// neither recorded nor counted, as if it had been refused before
// authentication.
func (g *Guard) AuthFailed(ctx context.Context, req *tokens.Request, env *cache.Environment, claimed *gatehouse.Client, reason string) *tokens.Error {
	if oerr := g.pendingIPLimit(ctx, req, env); oerr != nil {
		return oerr
	}
	if req.Credentials.Method == tokens.AuthNone {
		if req.Dialect == tokens.EndpointAdminAPI {
			g.recordAuthFailure(req, env, claimed, reason)
		}
		return nil
	}
	if m := g.cfg.Metrics; m != nil {
		m.AuthFailures.WithLabelValues(envLabel(env)).Inc()
	}
	g.recordAuthFailure(req, env, claimed, reason)
	ip := req.RemoteIP.Unmap()
	if g.cfg.Limiter != nil && g.cfg.BruteForce.Count > 0 && !g.exempt(ip) {
		g.countTowardBan(ctx, ip, env, kindAuthFail, g.cfg.BruteForce, bans.ReasonBruteForce)
	}
	return nil
}

// recordAuthFailure audits a failed authentication: never the credential,
// and only a client id the directory knows (whatever else was sent as a
// client id may be a secret pasted in the wrong field). A refusal with its
// own reason (tokens.ReasonMustRotate) says so first in the detail.
func (g *Guard) recordAuthFailure(req *tokens.Request, env *cache.Environment, claimed *gatehouse.Client, reason string) {
	if g.cfg.Audit == nil {
		return
	}
	what := "unknown client id"
	switch req.Credentials.Method {
	case tokens.AuthNone:
		what = "no credentials"
	case tokens.AuthBearer:
		what = "invalid bearer token"
	}
	e := &gatehouse.AuditEvent{
		Actor: "anonymous", SourceIP: ipString(req.RemoteIP.Unmap()), Action: gatehouse.ActionAuthFailure,
		Outcome: gatehouse.OutcomeFailure, Detail: what + " (" + authMethod(req) + ")" + endpointOf(req),
	}
	if env != nil {
		e.Environment = env.Name
	}
	if claimed != nil {
		e.Actor, e.Object, e.AccountID = "client:"+claimed.ID, "client:"+claimed.ID, claimed.AccountID
		e.Detail = "credentials rejected (" + authMethod(req) + ")" + endpointOf(req)
	}
	if reason == tokens.ReasonMustRotate {
		e.Detail = reason + ": the client was imported without a usable secret; rotate or renew it to issue one (" +
			authMethod(req) + ")" + endpointOf(req)
	}
	g.cfg.Audit.Record(e)
}

// endpointOf names, for an audit detail, the endpoint of a request that is
// not a token request.
func endpointOf(req *tokens.Request) string {
	switch req.Dialect {
	case tokens.EndpointIntrospection, tokens.EndpointRevocation, tokens.EndpointAdminAPI:
		return " at " + req.Dialect
	}
	return ""
}

// AllowlistDenied audits a request from outside the client's allowlist;
// one over the per-IP limit Admit left pending gets that limit's 429
// instead, unaudited.
func (g *Guard) AllowlistDenied(ctx context.Context, req *tokens.Request, env *cache.Environment, c *gatehouse.Client) *tokens.Error {
	if oerr := g.pendingIPLimit(ctx, req, env); oerr != nil {
		return oerr
	}
	if g.cfg.Audit == nil {
		return nil
	}
	e := &gatehouse.AuditEvent{
		Actor: "client:" + c.ID, SourceIP: ipString(req.RemoteIP.Unmap()), Action: gatehouse.ActionAllowlistDenied,
		Object: "client:" + c.ID, Environment: c.Environment, AccountID: c.AccountID, Outcome: gatehouse.OutcomeDenied,
		Detail: "source address is outside the client's IP allowlist",
	}
	g.cfg.Audit.Record(e)
	return nil
}

// Done counts the request in metrics and, on success, in the client's
// usage. A request that ended before anything applied the per-IP limit
// Admit left pending (the credential cache is stale: 503) is counted under
// that limit now; its answer stands.
func (g *Guard) Done(ctx context.Context, req *tokens.Request, env *cache.Environment, tok *tokens.Token, oerr *tokens.Error, elapsed time.Duration) {
	g.pendingIPLimit(ctx, req, env)
	if tok != nil && tok.Client != nil && g.cfg.Audit != nil {
		g.cfg.Audit.ClientUsed(tok.Client.ID, tok.Environment, tok.Client.AccountID, g.cfg.Now())
	}
	m := g.cfg.Metrics
	if m == nil {
		return
	}
	outcome := metrics.OutcomeSuccess
	switch {
	case oerr != nil && oerr.Reason != "":
		outcome = oerr.Reason
	case oerr != nil:
		outcome = oerr.Code
	}
	dialect := req.Dialect
	if dialect == "" {
		dialect = "standard"
	}
	m.ObserveToken(envLabel(env), dialect, outcome, elapsed)
}

// countTowardBan counts one event of kind for ip and bans ip when the
// threshold is crossed.
func (g *Guard) countTowardBan(ctx context.Context, ip netip.Addr, env *cache.Environment, kind string, t Threshold, reason string) {
	if !ip.IsValid() {
		return
	}
	subject := bans.SubjectOf(ip)
	d, err := g.cfg.Limiter.Allow(ctx, ratelimit.Key{Kind: kind, ID: subject}, t.limit())
	if err != nil {
		g.limiterError("count toward ban", err)
		return
	}
	if d.Allowed {
		return
	}
	now := g.cfg.Now()
	b := bans.Ban{Subject: subject, Reason: reason, CreatedAt: now, ExpiresAt: now.Add(g.cfg.BanDuration)}
	if env != nil {
		b.Environment = env.Name
	}
	if err := g.cfg.Bans.Add(ctx, b); err != nil {
		g.limiterError("store ban", err)
	}
	g.cfg.Logger.Warn("banned a source address", "subject", subject, "reason", reason,
		"until", b.ExpiresAt, "threshold", t.Count, "window", t.Window)
	if m := g.cfg.Metrics; m != nil {
		m.Bans.WithLabelValues(reason).Inc()
	}
	if g.cfg.Audit != nil {
		g.cfg.Audit.Record(&gatehouse.AuditEvent{
			Time: now, Actor: "system", SourceIP: subject, Action: gatehouse.ActionIPBanned,
			Object: "ip:" + subject, Environment: b.Environment, Outcome: gatehouse.OutcomeSuccess,
			Detail: fmt.Sprintf("%s: more than %d in %s; banned until %s", reason, t.Count, t.Window, b.ExpiresAt.UTC().Format(time.RFC3339)),
		})
	}
}

func (g *Guard) countRefusal(env *cache.Environment, limit string) {
	if m := g.cfg.Metrics; m != nil {
		m.RateLimited.WithLabelValues(envLabel(env), limit).Inc()
	}
}

func (g *Guard) limiterError(what string, err error) {
	if m := g.cfg.Metrics; m != nil {
		m.LimiterErrors.Inc()
	}
	g.cfg.Logger.Debug(what, "err", err)
}

// slowDown is the 429 answer with a Retry-After of at least a second.
func slowDown(retryAfter time.Duration, why string) *tokens.Error {
	return &tokens.Error{Code: tokens.ErrSlowDown, Description: why, Status: 429, RetryAfter: max(retryAfter, time.Second)}
}

func ipString(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
}

// authMethod names how the client tried to authenticate, for the audit
// detail.
func authMethod(req *tokens.Request) string {
	if req.Credentials.Method == "" {
		return "none"
	}
	return req.Credentials.Method
}
