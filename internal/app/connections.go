package app

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/connlimit"
)

// ConnectionsConfig limits the HTTP connections the server holds, in the
// config file:
//
//	connections:
//	  max: 15000                # open at once, all addresses (default 3/4 of the open-file limit, at most 16384)
//	  max_per_address: 256      # open at once from one address or IPv6 /64 (trusted proxies exempt)
//	  idle_timeout: 30s         # an idle keep-alive connection is closed after this
//	  read_header_timeout: 5s   # the request line and headers must arrive within this
//	  max_header_bytes: 65536   # larger request headers get 431
//
// Connections past a limit are closed as they are accepted, before any
// work is spent on them, so that one address cannot exhaust the process's
// file descriptors (docs/security.md). A negative limit switches it off.
type ConnectionsConfig struct {
	Max               int           `yaml:"max"`
	MaxPerAddress     int           `yaml:"max_per_address"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	MaxHeaderBytes    int           `yaml:"max_header_bytes"`
}

// Connection defaults.
const (
	DefaultMaxConnectionsPerAddress = 256
	DefaultIdleTimeout              = 30 * time.Second
	DefaultReadHeaderTimeout        = 5 * time.Second
	DefaultMaxHeaderBytes           = 64 << 10
	// maxDefaultConnections bounds the default total: beyond it a single
	// replica is better scaled out than stretched.
	maxDefaultConnections = 16384
)

func (c *ConnectionsConfig) defaults() {
	if c.Max == 0 {
		c.Max = defaultMaxConnections()
	}
	if c.MaxPerAddress == 0 {
		c.MaxPerAddress = DefaultMaxConnectionsPerAddress
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
}

// defaultMaxConnections leaves a quarter of the open-file limit to the
// database, Redis, log and data files, so that a full house of connections
// never makes accept (or anything else) fail with "too many open files".
func defaultMaxConnections() int {
	n, ok := openFileLimit()
	if !ok {
		return 1024
	}
	return max(64, min(maxDefaultConnections, n*3/4))
}

func (c *ConnectionsConfig) validate() error {
	if c.IdleTimeout < 0 || c.ReadHeaderTimeout < 0 {
		return fmt.Errorf("connections: idle_timeout %s and read_header_timeout %s must be positive", c.IdleTimeout, c.ReadHeaderTimeout)
	}
	if c.MaxHeaderBytes < 4096 {
		return fmt.Errorf("connections: max_header_bytes %d must be at least 4096", c.MaxHeaderBytes)
	}
	return nil
}

// limitConnections wraps ln with the configured limits. Trusted proxies
// count toward the total only: one proxy carries many clients. Refusals are
// logged at most once a minute, with how many there were.
func (m *Main) limitConnections(ln net.Listener, proxies []netip.Prefix) *connlimit.Listener {
	c := m.Config.Connections
	var lastLog atomic.Int64
	var refused atomic.Uint64
	limit := func(n int) int { return max(n, 0) }
	return connlimit.NewListener(ln, connlimit.Config{
		Max: limit(c.Max), PerAddress: limit(c.MaxPerAddress), Exempt: proxies,
		Refused: func(from netip.Addr, total bool) {
			n := refused.Add(1)
			now := time.Now().Unix()
			if last := lastLog.Load(); now-last >= 60 && lastLog.CompareAndSwap(last, now) {
				which := "max_per_address"
				if total {
					which = "max"
				}
				m.Logger.Warn("refusing connections past the connection limits", slog.String("limit", which),
					slog.String("last_from", from.String()), slog.Uint64("refused_so_far", n))
			}
		},
	})
}
