package connlimit_test

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/connlimit"
)

// server accepts on a limited loopback listener and holds every accepted
// connection open until the test ends (or drop closes it).
type server struct {
	ln       *connlimit.Listener
	mu       sync.Mutex
	accepted []net.Conn
	refused  []netip.Addr
}

func newServer(t *testing.T, cfg connlimit.Config) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{}
	cfg.Refused = func(from netip.Addr, _ bool) { s.mu.Lock(); s.refused = append(s.refused, from); s.mu.Unlock() }
	s.ln = connlimit.NewListener(ln, cfg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.accepted = append(s.accepted, c)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		s.ln.Close()
		<-done
		s.mu.Lock()
		for _, c := range s.accepted {
			c.Close()
		}
		s.mu.Unlock()
	})
	return s
}

// dial connects from the loopback address from (any of 127.0.0.0/8). It
// returns nil when the server reset the connection before the dial
// returned, which a refused connection may do.
func dial(t *testing.T, s *server, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", s.ln.Addr().String())
	if errors.Is(err, syscall.ECONNRESET) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server closed c: a read ends at once
// with EOF or a reset instead of waiting (nil: reset while dialling).
func closedByServer(c net.Conn) bool {
	if c == nil {
		return true
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, err := c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

// waitAccepted waits until the server accepted n connections.
func waitAccepted(t *testing.T, s *server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.ln.Open() < n {
		if time.Now().After(deadline) {
			t.Fatalf("open = %d, want %d", s.ln.Open(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOneAddressCannotTakeMoreThanItsShare(t *testing.T) {
	s := newServer(t, connlimit.Config{Max: 10, PerAddress: 3})
	var flood []net.Conn
	for range 3 {
		flood = append(flood, dial(t, s, "127.0.0.2"))
	}
	if slices.Contains(flood, nil) {
		t.Fatal("a connection within the limit was reset")
	}
	waitAccepted(t, s, 3)
	extra := dial(t, s, "127.0.0.2")
	if !closedByServer(extra) {
		t.Fatal("a fourth connection from the same address was kept open")
	}
	other := dial(t, s, "127.0.0.3")
	waitAccepted(t, s, 4)
	if closedByServer(other) {
		t.Fatal("another address was refused")
	}
	if got := s.ln.Refused(); got != 1 {
		t.Errorf("refused = %d, want 1", got)
	}
	s.mu.Lock()
	if len(s.refused) != 1 || s.refused[0] != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("refused addresses %v", s.refused)
	}
	s.mu.Unlock()

	// Closing one of the address's connections frees its place.
	s.mu.Lock()
	s.accepted[0].Close()
	s.mu.Unlock()
	again := dial(t, s, "127.0.0.2")
	waitAccepted(t, s, 4)
	if closedByServer(again) {
		t.Fatal("a connection after one was closed was refused")
	}
	_ = flood
}

func TestTheTotalLimitHoldsAcrossAddresses(t *testing.T) {
	s := newServer(t, connlimit.Config{Max: 4, PerAddress: 3})
	for i := range 4 {
		dial(t, s, "127.0.1."+string(rune('1'+i)))
	}
	waitAccepted(t, s, 4)
	if !closedByServer(dial(t, s, "127.0.1.9")) {
		t.Fatal("a fifth connection past the total limit was kept")
	}
}

func TestExemptNetworksCountTowardTheTotalOnly(t *testing.T) {
	s := newServer(t, connlimit.Config{Max: 6, PerAddress: 1, Exempt: []netip.Prefix{netip.MustParsePrefix("127.0.0.5/32")}})
	var kept []net.Conn
	for range 5 {
		kept = append(kept, dial(t, s, "127.0.0.5"))
	}
	waitAccepted(t, s, 5)
	for _, c := range kept {
		if closedByServer(c) {
			t.Fatal("a proxy's connection was refused under the per-address limit")
		}
	}
	if got := s.ln.Open(); got != 5 {
		t.Fatalf("open = %d", got)
	}
	if c := dial(t, s, "127.0.0.5"); closedByServer(c) {
		t.Fatal("the sixth connection is within the total")
	}
	if c := dial(t, s, "127.0.0.5"); !closedByServer(c) {
		t.Fatal("the seventh connection passes the total")
	}
}

func TestNoLimitsAdmitsEverything(t *testing.T) {
	s := newServer(t, connlimit.Config{})
	for range 20 {
		dial(t, s, "127.0.0.2")
	}
	waitAccepted(t, s, 20)
	if s.ln.Refused() != 0 {
		t.Fatal("refused with no limits")
	}
}
