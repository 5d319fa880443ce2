package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// tcpProxy forwards connections from its own loopback address to target;
// the test can cut it (every connection closed, new ones refused) and
// restore it on the same address.
type tcpProxy struct {
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newTCPProxy(t *testing.T) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			target := p.target
			p.mu.Unlock()
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns[in], p.conns[out] = true, true
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

// cut closes the listener and every connection.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// restore listens again on the same address.
func (p *tcpProxy) restore(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestVerifyFeedOutageIsVisibleAndFollowsThePolicy cuts the network
// between a verifier and Gatehouse: the feed metrics say so, tokens are
// refused under RefuseWhenStale once MaxStaleness has passed, and after the
// network returns the verifier resumes the feed and learns of a revocation
// made during the outage.
func TestVerifyFeedOutageIsVisibleAndFollowsThePolicy(t *testing.T) {
	p := newTCPProxy(t)
	s := startServer(t, app.Config{PublicURL: "http://" + p.addr})
	p.mu.Lock()
	p.target = s.main.Addr() // known once the server listens; nothing dialled before
	p.mu.Unlock()
	rs := resourceClient(t, s)
	reg := prometheus.NewRegistry()
	v, _ := newVerifier(t, s, rs, func(c *verify.Config) {
		c.Issuer = "http://" + p.addr + "/realms/sandbox"
		c.MaxStaleness = 300 * time.Millisecond
		c.WhenStale = verify.RefuseWhenStale
		c.Registerer = reg
	})
	ctx := context.Background()
	acme := s.createClient(t, wire.CreateClientRequest{Name: "acme", Audiences: []string{ledgerAudience}})
	other := s.createClient(t, wire.CreateClientRequest{Name: "other", Audiences: []string{ledgerAudience}})
	tok := ledgerToken(t, s.tokenURL("sandbox"), acme)
	otherTok := ledgerToken(t, s.tokenURL("sandbox"), other)
	for _, tk := range []string{tok, otherTok} {
		if _, err := v.Verify(ctx, tk); err != nil {
			t.Fatalf("before the outage: %v", err)
		}
	}
	connected := func() float64 { return gauge(t, reg, "gatehouse_verify_revocation_feed_connected") }
	if connected() != 1 {
		t.Fatal("feed not reported connected")
	}

	p.cut()
	eventually(t, 3*time.Second, func() error {
		var e *verify.Error
		if _, err := v.Verify(ctx, tok); !errors.As(err, &e) || e.Code != verify.ErrUnavailable {
			return errNotYet
		}
		return nil
	})
	if connected() != 0 || gauge(t, reg, "gatehouse_verify_revocation_feed_staleness_seconds") < 0.3 {
		t.Fatalf("metrics during the outage: connected %v, staleness %v", connected(),
			gauge(t, reg, "gatehouse_verify_revocation_feed_staleness_seconds"))
	}
	// Revoked while the verifier cannot hear it.
	if _, err := s.Admin.RevokeClient(ctx, acme.ClientID); err != nil {
		t.Fatal(err)
	}

	p.restore(t)
	eventually(t, 15*time.Second, func() error {
		if _, err := v.Verify(ctx, otherTok); err != nil {
			return err
		}
		return nil
	})
	if _, err := v.Verify(ctx, tok); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("after the outage the client revoked meanwhile is not refused as revoked: %v", err)
	}
	if connected() != 1 {
		t.Fatal("feed not reported connected again")
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
