package testenv

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of a real server (the shared PostgreSQL or
// Redis), for fault tests: Down makes the server unreachable, Stall makes
// it accept connections and never answer (a frozen server), Up restores
// it. The real server is never touched.
type Proxy struct {
	target string
	ln     net.Listener

	mu      sync.Mutex
	state   proxyState
	conns   map[net.Conn]struct{}
	stalled []net.Conn // accepted while stalled; never answered
	resume  chan struct{}
	closed  bool
	wg      sync.WaitGroup
}

type proxyState int

const (
	proxyUp proxyState = iota
	proxyDown
	proxyStalled
)

// NewProxy starts a proxy on a random loopback port that forwards to
// target (host:port); it is closed when t ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &Proxy{target: target, ln: ln, conns: map[net.Conn]struct{}{}, resume: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's address (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Down closes every connection and refuses new ones (they are accepted and
// closed at once, as a server that is restarting would).
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == proxyStalled {
		close(p.resume) // frozen pipes find their connections closed
	}
	p.state = proxyDown
	p.closeConnsLocked()
}

// Stall freezes the server: open connections stop carrying data in either
// direction and new connections are accepted but never answered.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != proxyStalled {
		p.state = proxyStalled
		p.resume = make(chan struct{})
	}
}

// Up brings the server back. Connections frozen by Stall carry on;
// connections accepted while stalled are closed (their clients gave up).
func (p *Proxy) Up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == proxyStalled {
		close(p.resume)
	}
	for _, c := range p.stalled {
		c.Close()
	}
	p.stalled = nil
	p.state = proxyUp
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if p.state == proxyStalled {
		close(p.resume)
	}
	p.state = proxyDown
	p.closeConnsLocked()
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *Proxy) closeConnsLocked() {
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	for _, c := range p.stalled {
		c.Close()
	}
	p.stalled = nil
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		switch p.state {
		case proxyDown:
			c.Close()
		case proxyStalled:
			p.stalled = append(p.stalled, c)
		default:
			p.conns[c] = struct{}{}
			p.wg.Add(1)
			go p.serve(c)
		}
		p.mu.Unlock()
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if _, ok := p.conns[client]; !ok { // closed by Down meanwhile
		p.mu.Unlock()
		server.Close()
		return
	}
	p.conns[server] = struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(server, client) }()
	go func() { defer wg.Done(); p.pipe(client, server) }()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// pipe copies from src to dst, holding data back while the proxy is
// stalled.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.waitUnstalled()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *Proxy) waitUnstalled() {
	p.mu.Lock()
	stalled, resume := p.state == proxyStalled, p.resume
	p.mu.Unlock()
	if stalled {
		<-resume
	}
}

// ProxyURL starts a proxy in front of the host of rawURL (a postgres:// or
// redis:// URL) and returns the URL pointing at the proxy instead.
func ProxyURL(t testing.TB, rawURL string) (string, *Proxy) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %q: %v", rawURL, err)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}
