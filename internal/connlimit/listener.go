package connlimit

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Config sets the limits. A zero limit is no limit.
type Config struct {
	// Max caps the connections open at once, from all addresses.
	Max int
	// PerAddress caps the connections open at once from one address (an
	// IPv4 address, or an IPv6 /64, which one host usually holds whole).
	PerAddress int
	// Exempt are networks whose connections count toward Max only: the
	// trusted proxies, whose one address carries many clients.
	Exempt []netip.Prefix
	// Refused, if set, is called for every refused connection with the
	// source address and whether the total (rather than the per-address)
	// limit refused it. It runs on the accept loop, so it must be cheap.
	Refused func(from netip.Addr, total bool)
}

// Listener is a net.Listener that closes a new connection at once when
// accepting it would pass a limit. It is safe for concurrent use.
type Listener struct {
	net.Listener
	cfg     Config
	mu      sync.Mutex
	open    int
	byAddr  map[netip.Addr]int
	refused atomic.Uint64
}

// NewListener wraps ln with the limits of cfg.
func NewListener(ln net.Listener, cfg Config) *Listener {
	return &Listener{Listener: ln, cfg: cfg, byAddr: map[netip.Addr]int{}}
}

// Accept returns the next connection within the limits. Connections past a
// limit are closed (with a reset, so the server keeps no TIME_WAIT state for
// them) and never returned.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, counted := l.key(c.RemoteAddr())
		if total, ok := l.admit(key, counted); !ok {
			l.refused.Add(1)
			if tc, isTCP := c.(*net.TCPConn); isTCP {
				tc.SetLinger(0)
			}
			c.Close()
			if l.cfg.Refused != nil {
				l.cfg.Refused(key, total)
			}
			continue
		}
		return &conn{Conn: c, release: func() { l.release(key, counted) }}, nil
	}
}

// key returns the address a connection counts under, and whether it counts
// per address at all.
func (l *Listener) key(a net.Addr) (netip.Addr, bool) {
	var ip netip.Addr
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ = netip.AddrFromSlice(ta.IP)
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	if !ip.IsValid() || l.cfg.PerAddress <= 0 {
		return ip, false
	}
	for _, p := range l.cfg.Exempt {
		if p.Contains(ip) {
			return ip, false
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		ip = p.Addr()
	}
	return ip, true
}

// admit counts a new connection from key if both limits allow it; total
// says which limit refused it otherwise.
func (l *Listener) admit(key netip.Addr, counted bool) (total, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.Max > 0 && l.open >= l.cfg.Max {
		return true, false
	}
	if counted && l.byAddr[key] >= l.cfg.PerAddress {
		return false, false
	}
	l.open++
	if counted {
		l.byAddr[key]++
	}
	return false, true
}

func (l *Listener) release(key netip.Addr, counted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if counted {
		if n := l.byAddr[key] - 1; n > 0 {
			l.byAddr[key] = n
		} else {
			delete(l.byAddr, key)
		}
	}
}

// Open returns how many accepted connections are open.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Refused returns how many connections the limits refused so far.
func (l *Listener) Refused() uint64 { return l.refused.Load() }

// conn releases its place in the counts when closed, once.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

// Close closes the connection and frees its place.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
