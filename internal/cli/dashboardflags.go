package cli

import (
	"github.com/spf13/pflag"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// registerDashboardFlags adds serve's flags for the web dashboard under
// /ui/; their values land in d.
func registerDashboardFlags(fs *pflag.FlagSet, d *app.DashboardConfig) {
	on := true
	d.Enabled = &on
	fs.BoolVar(&on, "dashboard", true, "serve the web dashboard under /ui/")
	fs.DurationVar(&d.IdleTimeout, "dashboard-idle-timeout", 0, "a dashboard session unused this long ends (default 30m)")
	fs.DurationVar(&d.AbsoluteTimeout, "dashboard-absolute-timeout", 0, "any dashboard session ends this long after sign-in (default 12h)")
	fs.StringSliceVar(&d.AllowedNetworks, "dashboard-allowed-networks", nil, "CIDRs that may reach /ui/ at all; others get 403 (default: every network)")
	fs.IntVar(&d.Lockout.AccountFailures, "dashboard-account-failures", 0, "wrong passwords or codes that lock an email address for the window (default 5)")
	fs.IntVar(&d.Lockout.AddressFailures, "dashboard-address-failures", 0, "failed sign-ins from one IP that ban it like a token-endpoint brute-forcer (default 20)")
	fs.DurationVar(&d.Lockout.Window, "dashboard-lockout-window", 0, "window of the two failure counts, and how long a locked email address stays locked (default 15m)")
}

// resolveDashboardFlags copies the dashboard flags that were set from
// flags (or GATEHOUSE_* variables) over dst, the file's configuration.
func resolveDashboardFlags(fs *pflag.FlagSet, dst *app.DashboardConfig, flags app.DashboardConfig) {
	changed := func(name string) bool { f := fs.Lookup(name); return f != nil && f.Changed }
	if changed("dashboard") {
		v := *flags.Enabled
		dst.Enabled = &v
	}
	if changed("dashboard-idle-timeout") {
		dst.IdleTimeout = flags.IdleTimeout
	}
	if changed("dashboard-absolute-timeout") {
		dst.AbsoluteTimeout = flags.AbsoluteTimeout
	}
	if changed("dashboard-allowed-networks") {
		dst.AllowedNetworks = flags.AllowedNetworks
	}
	if changed("dashboard-account-failures") {
		dst.Lockout.AccountFailures = flags.Lockout.AccountFailures
	}
	if changed("dashboard-address-failures") {
		dst.Lockout.AddressFailures = flags.Lockout.AddressFailures
	}
	if changed("dashboard-lockout-window") {
		dst.Lockout.Window = flags.Lockout.Window
	}
}
