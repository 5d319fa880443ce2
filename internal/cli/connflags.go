package cli

import (
	"github.com/spf13/pflag"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// registerConnectionFlags adds serve's connection limits
// (docs/security.md); their values land in c.
func registerConnectionFlags(fs *pflag.FlagSet, c *app.ConnectionsConfig) {
	fs.IntVar(&c.Max, "max-connections", 0, "connections open at once, all addresses; -1 for no limit (default 3/4 of the open-file limit, at most 16384)")
	fs.IntVar(&c.MaxPerAddress, "max-connections-per-address", 0, "connections open at once from one address or IPv6 /64, trusted proxies exempt; -1 for no limit (default 256)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 0, "close idle keep-alive connections after this (default 30s)")
}

// resolveConnectionFlags copies the connection flags that were set over
// dst, the file's configuration.
func resolveConnectionFlags(fs *pflag.FlagSet, dst *app.ConnectionsConfig, flags app.ConnectionsConfig) {
	changed := func(name string) bool { f := fs.Lookup(name); return f != nil && f.Changed }
	if changed("max-connections") {
		dst.Max = flags.Max
	}
	if changed("max-connections-per-address") {
		dst.MaxPerAddress = flags.MaxPerAddress
	}
	if changed("idle-timeout") {
		dst.IdleTimeout = flags.IdleTimeout
	}
}
