package cli

import (
	"github.com/spf13/pflag"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// registerProtectionFlags adds serve's flags for the protection of the
// token endpoint (docs/protection.md); their values land in p.
func registerProtectionFlags(fs *pflag.FlagSet, p *app.ProtectionConfig) {
	on := true
	p.RateLimits = &on
	retention := app.DefaultAuditRetention
	p.AuditRetention = &retention
	fs.BoolVar(&on, "rate-limits", true, "enforce per-environment rate limits, IP bans and brute-force lockout")
	fs.StringSliceVar(&p.TrustedProxies, "trusted-proxies", nil, "CIDRs of proxies whose forwarding header names the client address")
	fs.StringVar(&p.ProxyHeader, "proxy-header", "", "header trusted proxies append the client to: x-forwarded-for (default) or forwarded")
	fs.StringSliceVar(&p.ExemptNetworks, "exempt-networks", nil, "CIDRs never limited per IP nor banned (e.g. your own)")
	fs.DurationVar(&p.BanDuration, "ban-duration", 0, "how long an IP ban lasts (default 15m)")
	fs.IntVar(&p.BruteForce.Count, "brute-force-failures", 0, "failed authentications from one IP that earn a ban (default 20)")
	fs.DurationVar(&p.BruteForce.Window, "brute-force-window", 0, "window of --brute-force-failures (default 10m)")
	fs.IntVar(&p.Flood.Count, "flood-rejections", 0, "rate-limit refusals of one IP that earn a ban (default 100)")
	fs.DurationVar(&p.Flood.Window, "flood-window", 0, "window of --flood-rejections (default 1m)")
	fs.BoolVar(&p.FailClosed, "fail-closed", false, "refuse token requests while Redis is unreachable instead of limiting per replica")
	fs.DurationVar(&retention, "audit-retention", app.DefaultAuditRetention, "how long audit events are kept (0: forever)")
}

// resolveProtectionFlags copies the protection flags that were set from
// flags (or GATEHOUSE_* variables) over dst, the file's configuration.
func resolveProtectionFlags(fs *pflag.FlagSet, dst *app.ProtectionConfig, flags app.ProtectionConfig) {
	changed := func(name string) bool { f := fs.Lookup(name); return f != nil && f.Changed }
	if changed("rate-limits") {
		v := *flags.RateLimits
		dst.RateLimits = &v
	}
	if changed("trusted-proxies") {
		dst.TrustedProxies = flags.TrustedProxies
	}
	if changed("proxy-header") {
		dst.ProxyHeader = flags.ProxyHeader
	}
	if changed("exempt-networks") {
		dst.ExemptNetworks = flags.ExemptNetworks
	}
	if changed("ban-duration") {
		dst.BanDuration = flags.BanDuration
	}
	if changed("brute-force-failures") {
		dst.BruteForce.Count = flags.BruteForce.Count
	}
	if changed("brute-force-window") {
		dst.BruteForce.Window = flags.BruteForce.Window
	}
	if changed("flood-rejections") {
		dst.Flood.Count = flags.Flood.Count
	}
	if changed("flood-window") {
		dst.Flood.Window = flags.Flood.Window
	}
	if changed("fail-closed") {
		dst.FailClosed = flags.FailClosed
	}
	if changed("audit-retention") {
		v := *flags.AuditRetention
		dst.AuditRetention = &v
	}
}
