package app

import (
	"context"
	"fmt"
	"github.com/gatehouse-dev/gatehouse/internal/httpapi"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/dashboard"
)

// DashboardConfig configures the web dashboard under /ui/ in the config
// file:
//
//	dashboard:
//	  enabled: true                      # default true
//	  idle_timeout: 30m                  # a session unused this long ends
//	  absolute_timeout: 12h              # any session ends this long after sign-in
//	  allowed_networks: [10.0.0.0/8]     # only these may reach /ui/ (default: everyone)
//	  lockout:
//	    account_failures: 5              # wrong passwords/codes locking an email address…
//	    address_failures: 20             # …or banning a client address…
//	    window: 15m                      # …within this window
type DashboardConfig struct {
	Enabled         *bool                  `yaml:"enabled"`
	IdleTimeout     time.Duration          `yaml:"idle_timeout"`
	AbsoluteTimeout time.Duration          `yaml:"absolute_timeout"`
	AllowedNetworks []string               `yaml:"allowed_networks"`
	Lockout         DashboardLockoutConfig `yaml:"lockout"`
}

// DashboardLockoutConfig limits password and code guessing on the
// dashboard (dashboard.Lockout), and wrong passwords given to reveal a
// secret through the dashboard or the admin API (manage.RevealLockout,
// counted apart from sign-ins).
type DashboardLockoutConfig struct {
	AccountFailures int           `yaml:"account_failures"`
	AddressFailures int           `yaml:"address_failures"`
	Window          time.Duration `yaml:"window"`
}

// Dashboard defaults.
const (
	DefaultDashboardIdleTimeout     = 30 * time.Minute
	DefaultDashboardAbsoluteTimeout = 12 * time.Hour
)

func (c *DashboardConfig) defaults() {
	if c.Enabled == nil {
		on := true
		c.Enabled = &on
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultDashboardIdleTimeout
	}
	if c.AbsoluteTimeout == 0 {
		c.AbsoluteTimeout = DefaultDashboardAbsoluteTimeout
	}
	if c.Lockout.AccountFailures == 0 {
		c.Lockout.AccountFailures = 5
	}
	if c.Lockout.AddressFailures == 0 {
		c.Lockout.AddressFailures = 20
	}
	if c.Lockout.Window == 0 {
		c.Lockout.Window = 15 * time.Minute
	}
}

func (c *DashboardConfig) validate() error {
	if c.IdleTimeout < 0 || c.AbsoluteTimeout < 0 {
		return fmt.Errorf("dashboard idle_timeout %s and absolute_timeout %s must be positive", c.IdleTimeout, c.AbsoluteTimeout)
	}
	if c.IdleTimeout > c.AbsoluteTimeout {
		return fmt.Errorf("dashboard idle_timeout %s must not exceed absolute_timeout %s", c.IdleTimeout, c.AbsoluteTimeout)
	}
	if c.Lockout.AccountFailures < 0 || c.Lockout.AddressFailures < 0 || c.Lockout.Window < 0 {
		return fmt.Errorf("dashboard lockout counts and window must be positive")
	}
	if _, err := parseNetworks("dashboard allowed network", c.AllowedNetworks); err != nil {
		return err
	}
	return nil
}

// openDashboard builds the dashboard, or returns nil when it is off.
func (m *Main) openDashboard(dialects httpapi.Dialects) (*dashboard.Dashboard, error) {
	c := m.Config.Dashboard
	c.defaults()
	if !*c.Enabled {
		return nil, nil
	}
	allowed, err := parseNetworks("dashboard allowed network", c.AllowedNetworks)
	if err != nil {
		return nil, err
	}
	cookieKey, err := m.masterKey.DeriveKey(m.masterKey.Current(), "dashboard cookies")
	if err != nil {
		return nil, fmt.Errorf("dashboard cookie key: %w", err)
	}
	return dashboard.New(dashboard.Config{
		Store: m.store, Bans: m.protection.bans, Sealer: m.masterKey, CookieKey: cookieKey,
		PublicURL: m.publicURL, IdleTimeout: c.IdleTimeout, AbsoluteTimeout: c.AbsoluteTimeout,
		AllowedNetworks: allowed,
		Lockout: dashboard.Lockout{
			AccountFailures: c.Lockout.AccountFailures, AddressFailures: c.Lockout.AddressFailures,
			Window: c.Lockout.Window, BanDuration: m.Config.Protection.BanDuration,
		},
		Team:       m.service,
		Manage:     m.service,
		Operations: manage.NewOperations(m.service, m.protection.bans, m.rotator),
		Pages:      dashboard.PageServices{TestTokens: m.issuer, Endpoints: tokenEndpoints(m.publicURL, dialects)},
		Now:        m.Now, Rand: m.Rand, Logger: m.Logger,
	})
}

// tokenEndpoints tells the dashboard where the token flows are served, for
// the curl lines it shows with a new secret.
func tokenEndpoints(publicURL string, d httpapi.Dialects) dashboard.TokenEndpoints {
	ep := dashboard.TokenEndpoints{PublicURL: publicURL}
	if d.Lengow.Enabled {
		ep.LengowPath = d.Lengow.Path
	}
	if d.Lemonway.Enabled {
		ep.LemonwayPath = d.Lemonway.Path
	}
	return ep
}

// pruneDashboard deletes ended sessions and old sign-in failure counters.
func (m *Main) pruneDashboard(ctx context.Context, now time.Time) {
	if err := m.store.DeleteExpiredSessions(ctx, now); err != nil {
		m.Logger.Warn("prune dashboard sessions", "err", err)
	}
	if err := m.store.DeleteOldSignInFailures(ctx, now.Add(-24*time.Hour)); err != nil {
		m.Logger.Warn("prune sign-in failure counters", "err", err)
	}
}
