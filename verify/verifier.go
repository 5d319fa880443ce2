package verify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// OpaquePrefix starts every Gatehouse opaque access token; such tokens are
// checked by introspection, every other token as a JWT.
const OpaquePrefix = "gatehouse_at_"

// LegacyOpaquePrefix started opaque tokens of earlier Gatehouse versions
// (GitHub's OAuth-token prefix); such tokens are introspected too.
const LegacyOpaquePrefix = "gho_"

// StalePolicy says what a Verifier does with a token while the revocation
// feed has been silent for longer than Config.MaxStaleness.
type StalePolicy int

const (
	// AcceptWhenStale keeps accepting tokens on the revocations known so
	// far (and says so in the feed metrics).
	AcceptWhenStale StalePolicy = iota
	// RefuseWhenStale refuses every token with temporarily_unavailable.
	RefuseWhenStale
	// IntrospectWhenStale asks the server about every token (through the
	// bounded introspection cache) until the feed is back.
	IntrospectWhenStale
)

// Config configures a Verifier. Issuer and Audience are required.
type Config struct {
	// Issuer is the environment's issuer URL, e.g.
	// https://auth.example.com/realms/production. Its discovery document
	// names the JWKS, the introspection endpoint and the revocation feed.
	Issuer string
	// Audience is what a token's aud claim must contain.
	Audience string
	// ClientID and ClientSecret authenticate the verifier as a client of
	// the environment, for introspection (opaque tokens) and for the
	// revocation feed. Without them opaque tokens are refused and the feed
	// cannot be followed.
	ClientID, ClientSecret string
	// FollowRevocations follows the server's revocation feed, so that a
	// revoked client, secret or token is refused within about a second
	// without a call per request. New fails if the issuer has no feed.
	FollowRevocations bool
	// MaxStaleness is how long the feed may be lost (disconnected, or
	// three heartbeats missed, which takes 45 s) before WhenStale applies;
	// 1 minute if 0. Until the first snapshot the feed counts as stale.
	MaxStaleness time.Duration
	// WhenStale is the policy for a stale feed (AcceptWhenStale if unset).
	WhenStale StalePolicy
	// AllowRawAuthorization accepts "Authorization: <token>" without the
	// Bearer scheme, as clients of the Lengow-style dialect send it.
	AllowRawAuthorization bool
	// Realm is the realm of WWW-Authenticate challenges ("api" if empty).
	Realm string
	// Leeway is the clock skew allowed for exp and nbf; 30 seconds if 0,
	// at most 5 minutes.
	Leeway time.Duration
	// KeyRefetchFloor is the least time between two JWKS fetches caused by
	// tokens naming an unknown kid; 30 seconds if 0. Tokens with random
	// kids therefore cause at most one fetch per floor period.
	KeyRefetchFloor time.Duration
	// IntrospectionCacheTTL bounds how long an introspection answer is
	// reused (never past the token's exp); 30 seconds if 0.
	IntrospectionCacheTTL time.Duration
	// IntrospectionCacheSize bounds the cached introspection answers
	// (10 000 if 0).
	IntrospectionCacheSize int
	// TokenCacheSize bounds the JWTs remembered as verified (10 000 if 0;
	// negative: none). A client sends the same token on every request
	// until it expires; a remembered token skips the signature check, while
	// expiry, revocations and the feed's staleness are still checked on
	// every call.
	TokenCacheSize int
	// HTTPClient makes every request to the issuer (http.DefaultClient's
	// transport with a 10 s timeout if nil; the feed's stream is exempt from
	// the timeout).
	HTTPClient *http.Client
	// Registerer receives the verifier's metrics (see Metrics); nil keeps
	// them unregistered.
	Registerer prometheus.Registerer
	// Logger receives connection problems; nothing if nil. Tokens and
	// secrets are never logged.
	Logger *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Verifier checks access tokens of one issuer and audience. It is safe for
// concurrent use; create one per issuer and keep it.
type Verifier struct {
	cfg     Config
	now     func() time.Time
	client  *http.Client
	stream  *http.Client // no timeout: the feed is a long-lived response
	logger  *slog.Logger
	meta    *discovery
	keys    *keyCache
	intro   *introspectionCache
	tokens  *tokenCache
	revoked atomic.Pointer[revocations]
	metrics *metrics

	// feedLive is true while connected to the feed after a snapshot;
	// feedLost is when the last live connection ended (unix nanoseconds; 0
	// if none did). A connection that stops talking is given up after
	// three missed heartbeats.
	feedLive atomic.Bool
	feedLost atomic.Int64
	lastID   string // the feed's last event id (follower goroutine only)
	firstFed chan struct{}
	fedOnce  sync.Once

	stop context.CancelFunc
	done chan struct{}
}

// New fetches the issuer's discovery document and keys, starts following
// the revocation feed when asked to, and returns the Verifier. With
// FollowRevocations it waits (within ctx) for the feed's first snapshot;
// if the feed does not answer in time New still succeeds and the staleness
// policy applies until it does.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("verify: Config.Issuer and Config.Audience are required")
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if cfg.FollowRevocations && (cfg.ClientID == "" || cfg.ClientSecret == "") {
		return nil, errors.New("verify: following revocations needs Config.ClientID and Config.ClientSecret")
	}
	setDefaults(&cfg)
	v := &Verifier{cfg: cfg, now: cfg.Now, client: cfg.HTTPClient, logger: cfg.Logger,
		firstFed: make(chan struct{}), done: make(chan struct{})}
	if v.client == nil {
		v.client = &http.Client{Timeout: 10 * time.Second}
	}
	s := *v.client
	s.Timeout = 0
	v.stream = &s
	v.metrics = newMetrics(cfg.Registerer, v.feedStaleness)
	v.revoked.Store(&revocations{})
	v.intro = newIntrospectionCache(cfg.IntrospectionCacheSize)
	v.tokens = newTokenCache(cfg.TokenCacheSize)
	meta, err := v.discover(ctx)
	if err != nil {
		return nil, err
	}
	v.meta = meta
	v.keys = newKeyCache(v)
	if err := v.keys.fetch(ctx); err != nil {
		return nil, err
	}
	bg, stop := context.WithCancel(context.Background())
	v.stop = stop
	if !cfg.FollowRevocations {
		close(v.done)
		return v, nil
	}
	if meta.RevocationFeed == "" {
		stop()
		return nil, fmt.Errorf("verify: %s publishes no revocation feed", cfg.Issuer)
	}
	go v.follow(bg)
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	select {
	case <-v.firstFed:
	case <-wait.Done():
		v.logger.Warn("verify: no revocation snapshot yet; the staleness policy applies until one arrives", "issuer", cfg.Issuer)
	}
	return v, nil
}

func setDefaults(cfg *Config) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Realm == "" {
		cfg.Realm = "api"
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = 30 * time.Second
	}
	cfg.Leeway = min(cfg.Leeway, 5*time.Minute)
	if cfg.MaxStaleness <= 0 {
		cfg.MaxStaleness = time.Minute
	}
	if cfg.KeyRefetchFloor <= 0 {
		cfg.KeyRefetchFloor = 30 * time.Second
	}
	if cfg.IntrospectionCacheTTL <= 0 {
		cfg.IntrospectionCacheTTL = 30 * time.Second
	}
	if cfg.IntrospectionCacheSize <= 0 {
		cfg.IntrospectionCacheSize = 10000
	}
	if cfg.TokenCacheSize == 0 {
		cfg.TokenCacheSize = 10000
	}
}

// Close stops following the revocation feed. The Verifier keeps verifying
// with what it knows.
func (v *Verifier) Close() error {
	v.stop()
	<-v.done
	return nil
}

// Verify checks token: a JWT's signature (with a key of the issuer's JWKS
// whose algorithm it must use), typ at+jwt, issuer, audience, exp and nbf
// (with Config.Leeway), and that neither the token, its client nor its
// secret was revoked; an opaque token by introspection. Failures are
// *Error values with Code ErrInvalidToken, or ErrUnavailable when the
// answer depends on the server and the server cannot be reached.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	c, err := v.verify(ctx, token)
	if err != nil {
		v.metrics.outcome(err)
		return nil, err
	}
	v.metrics.accepted.Inc()
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, token string) (*Claims, error) {
	if token == "" {
		return nil, errMissingToken
	}
	if len(token) > maxTokenLength {
		return nil, invalid("the token is too long")
	}
	if strings.HasPrefix(token, OpaquePrefix) || strings.HasPrefix(token, LegacyOpaquePrefix) {
		return v.introspect(ctx, token)
	}
	c, err := v.verifyJWT(ctx, token)
	if err != nil {
		return nil, err
	}
	now := v.now()
	if err := v.checkTimes(c, now); err != nil {
		return nil, err
	}
	if v.revoked.Load().has(c, now) {
		return nil, invalid("the token was revoked")
	}
	if v.cfg.FollowRevocations && v.stale(now) {
		return v.whenStale(ctx, token, c)
	}
	return c, nil
}

// whenStale applies the staleness policy to a JWT that passed every local
// check.
func (v *Verifier) whenStale(ctx context.Context, token string, c *Claims) (*Claims, error) {
	switch v.cfg.WhenStale {
	case RefuseWhenStale:
		return nil, unavailable("the revocation feed is stale")
	case IntrospectWhenStale:
		return v.introspect(ctx, token)
	}
	return c, nil
}

// checkTimes checks exp and nbf with the leeway.
func (v *Verifier) checkTimes(c *Claims, now time.Time) error {
	n, leeway := now.Unix(), int64(v.cfg.Leeway/time.Second)
	if c.ExpiresAt == 0 || n >= c.ExpiresAt+leeway {
		return invalid("the token has expired")
	}
	if c.NotBefore != 0 && n+leeway < c.NotBefore {
		return invalid("the token is not valid yet")
	}
	return nil
}

// checkClaims checks what every token must carry, however it was verified.
func (v *Verifier) checkClaims(c *Claims) error {
	if c.Issuer != v.cfg.Issuer {
		return invalid("the token was issued by another issuer")
	}
	if !c.Audience.contains(v.cfg.Audience) {
		return invalid("the token is not meant for this audience")
	}
	return nil
}

// feedStaleness is the time since the feed last spoke, for the metric.
func (v *Verifier) feedStaleness() float64 {
	if !v.cfg.FollowRevocations {
		return 0
	}
	if v.feedLive.Load() {
		return 0
	}
	lost := v.feedLost.Load()
	if lost == 0 {
		return -1
	}
	return v.now().Sub(time.Unix(0, lost)).Seconds()
}
