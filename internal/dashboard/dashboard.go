package dashboard

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// Store is what the dashboard keeps in the database itself: users to sign
// in, sessions, second factors and failure counters. Everything else goes
// through the service layer.
type Store interface {
	UserByEmail(ctx context.Context, email string) (*gatehouse.User, error)
	Environments(ctx context.Context) ([]*gatehouse.Environment, error)
	gatehouse.AuditAppender
	gatehouse.SessionStore
	gatehouse.SecondFactorStore
	gatehouse.SignInFailureStore
}

// Sealer encrypts small secrets (TOTP secrets) under the master key;
// *masterkey.Keyring is one.
type Sealer interface {
	Seal(r io.Reader, purpose string, plaintext, aad []byte) ([]byte, error)
	Open(purpose string, sealed, aad []byte) ([]byte, error)
}

// Lockout limits password and code guessing. Failures are counted in the
// store, so every replica sees them.
type Lockout struct {
	// AccountFailures wrong passwords or codes for one email address within
	// Window lock that address until the window ends (default 5).
	AccountFailures int
	// AddressFailures failures from one client address within Window ban
	// the address (the token endpoint's ban list) for BanDuration
	// (default 20).
	AddressFailures int
	Window          time.Duration // default 15m
	BanDuration     time.Duration // default 15m
}

func (l *Lockout) defaults() {
	if l.AccountFailures <= 0 {
		l.AccountFailures = 5
	}
	if l.AddressFailures <= 0 {
		l.AddressFailures = 20
	}
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	if l.BanDuration <= 0 {
		l.BanDuration = 15 * time.Minute
	}
}

// Config is what the dashboard is built from.
type Config struct {
	Store Store
	// Bans is the ban list shared with the token endpoint; nil when rate
	// limits are off (then addresses are counted but not banned).
	Bans   bans.List
	Sealer Sealer
	// CookieKey signs flash-message cookies (32 bytes, the same on every
	// replica).
	CookieKey []byte
	// PublicURL is the server's base URL: with https, cookies are Secure
	// and responses carry HSTS.
	PublicURL string
	// IdleTimeout ends a session unused this long (default 30m);
	// AbsoluteTimeout ends any session this long after sign-in (default 12h).
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// AllowedNetworks, when not empty, are the only client networks that
	// may reach /ui/ at all; others get 403.
	AllowedNetworks []netip.Prefix
	Lockout         Lockout
	// Team is the service behind the team and invitation pages.
	Team TeamService
	// Manage is the service layer every page calls with the signed-in
	// principal; Operations its operator actions (bans, signing keys).
	Manage     *manage.Service
	Operations *manage.Operations
	// Pages are what the credential, usage and operator pages need
	// beyond the service layer.
	Pages  PageServices
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// Dashboard is the web UI under /ui/.
type Dashboard struct {
	cfg          Config
	store        Store
	now          func() time.Time
	rand         io.Reader
	logger       *slog.Logger
	secure       bool // public URL is https
	pages        *pages
	manage       *manage.Service
	operations   *manage.Operations
	pageServices PageServices
	mux          *http.ServeMux
	handler      http.Handler
	dummy        string // a password hash to verify against for unknown users
	dummyErr     error
	once         sync.Once
}

// New returns the dashboard for cfg.
func New(cfg Config) (*Dashboard, error) {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.AbsoluteTimeout <= 0 {
		cfg.AbsoluteTimeout = 12 * time.Hour
	}
	cfg.Lockout.defaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.CookieKey) < 32 {
		return nil, errors.New("dashboard: the cookie key must have at least 32 bytes")
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	d := &Dashboard{
		cfg: cfg, store: cfg.Store, now: cfg.Now, rand: cfg.Rand, logger: cfg.Logger, pages: p,
		manage: cfg.Manage, operations: cfg.Operations, pageServices: cfg.Pages,
		mux: http.NewServeMux(),
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && strings.EqualFold(u.Scheme, "https") {
		d.secure = true
	}
	d.routes()
	d.handler = d.protect(d.mux)
	return d, nil
}

// ServeHTTP serves every path under /ui/.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.handler.ServeHTTP(w, r) }

// clientIP is the client's address; the public HTTP layer has already put
// the address a trusted proxy names into RemoteAddr.
func clientIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	ip, _ := netip.ParseAddr(r.RemoteAddr)
	return ip.Unmap()
}
