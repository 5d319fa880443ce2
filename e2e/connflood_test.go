package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// floodAttempts is how many connections the flood opens: 2,000 by default,
// GATEHOUSE_FLOOD_CONNECTIONS for the figures in docs/benchmarks.md.
func floodAttempts(t *testing.T) int {
	if v := os.Getenv("GATEHOUSE_FLOOD_CONNECTIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 19990 {
			t.Fatalf("GATEHOUSE_FLOOD_CONNECTIONS=%q must be 1..19990", v)
		}
		return n
	}
	return 2000
}

// flood opens attempts connections from the loopback address from to addr,
// each sending the start of a request and never its end, with 64 dialers.
// A connection stays open until the server closes it, or until a second
// after the last attempt (or ctx's end). It returns how many the server had
// closed (refused, or timed out) and how many it still held at the end.
func flood(ctx context.Context, addr, from string, attempts int) (closed, held int64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var dialers, wg sync.WaitGroup
	var next, nclosed, nheld atomic.Int64
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 2 * time.Second}
	for range 64 {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			for next.Add(1) <= int64(attempts) && ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					nclosed.Add(1) // reset while connecting
					continue
				}
				fmt.Fprintf(c, "POST /realms/sandbox/protocol/openid-connect/token HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/x-www-form-urlencoded\r\n")
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer c.Close()
					stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Now()) })
					defer stop()
					_, err := c.Read(make([]byte, 512))
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						nheld.Add(1) // still open when the flood ended
						return
					}
					nclosed.Add(1)
				}()
			}
		}()
	}
	dialers.Wait()
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
	cancel()
	wg.Wait()
	return nclosed.Load(), nheld.Load()
}

// latencies are request durations.
type latencies []time.Duration

func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// probe measures /healthz (a new connection each time, as a health checker
// does) and a token request (over a kept-alive connection, as a client
// library does) every 20 ms from 127.0.0.1 until ctx ends; failures are
// requests that did not get 200.
func probe(ctx context.Context, s *server, clientID, secret string) (health, token latencies, failures []string) {
	probeClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	apiClient := &http.Client{Timeout: 5 * time.Second}
	form := "grant_type=client_credentials&client_id=" + clientID + "&client_secret=" + url.QueryEscape(secret)
	for ctx.Err() == nil {
		start := time.Now()
		resp, err := probeClient.Get(s.URL + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			failures = append(failures, fmt.Sprintf("healthz: %v %v", err, resp))
		} else {
			resp.Body.Close()
			health = append(health, time.Since(start))
		}
		start = time.Now()
		resp, err = apiClient.Post(s.tokenURL("sandbox"), formType, strings.NewReader(form))
		if err != nil || resp.StatusCode != http.StatusOK {
			failures = append(failures, fmt.Sprintf("token: %v %v", err, resp))
		} else {
			resp.Body.Close()
			token = append(token, time.Since(start))
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	return health, token, failures
}

func TestAConnectionFloodFromOneAddressLeavesOthersServed(t *testing.T) {
	const perAddress = 32
	s := startServer(t, app.Config{Connections: app.ConnectionsConfig{MaxPerAddress: perAddress}})
	// The legitimate client's probes must not reach the token endpoint's
	// rate limits, which are not what this test is about.
	setLimits(t, s, "sandbox", wire.RateLimits{ClientPerMinute: 60000, ClientBurst: 1000, IPPerMinute: 60000, IPBurst: 1000})
	c := s.createClient(t, wire.CreateClientRequest{})
	attempts := floodAttempts(t)

	quiet, cancel := context.WithTimeout(context.Background(), time.Second)
	baseHealth, baseToken, failures := probe(quiet, s, c.ClientID, c.ClientSecret)
	cancel()
	if len(failures) > 0 {
		t.Fatalf("without a flood: %v", failures)
	}

	// The flood runs until every attempt was made and answered, 20 s at
	// most; requests from 127.0.0.1 are measured meanwhile.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var closed, held int64
	probing, stopProbe := context.WithCancel(ctx)
	flooded := make(chan struct{})
	go func() {
		defer close(flooded)
		defer stopProbe()
		closed, held = flood(ctx, s.main.Addr(), "127.0.0.2", attempts)
	}()
	health, token, failures := probe(probing, s, c.ClientID, c.ClientSecret)
	<-flooded
	if len(failures) > 0 {
		t.Errorf("%d requests from another address failed during the flood, first: %s", len(failures), failures[0])
	}
	if held > perAddress {
		t.Errorf("the server held %d connections from the flooding address, want at most %d", held, perAddress)
	}
	if closed+held < int64(attempts)*9/10 {
		t.Errorf("only %d of %d flood connections were answered (closed %d, held %d)", closed+held, attempts, closed, held)
	}
	t.Logf("flood of %d half-open connections from 127.0.0.2 (max_per_address %d): %d refused or closed, %d held",
		attempts, perAddress, closed, held)
	t.Logf("without flood: /healthz p50 %v p99 %v (%d), token p50 %v p99 %v (%d)",
		baseHealth.quantile(0.5), baseHealth.quantile(0.99), len(baseHealth), baseToken.quantile(0.5), baseToken.quantile(0.99), len(baseToken))
	t.Logf("during flood:  /healthz p50 %v p99 %v (%d), token p50 %v p99 %v (%d)",
		health.quantile(0.5), health.quantile(0.99), len(health), token.quantile(0.5), token.quantile(0.99), len(token))
}

func TestSlowAndIdleConnectionsAreClosedAndHugeHeadersRefused(t *testing.T) {
	s := startServer(t, app.Config{Connections: app.ConnectionsConfig{
		ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond,
	}})
	closedWithin := func(c net.Conn, d time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(d))
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				ne, ok := err.(net.Error)
				return !ok || !ne.Timeout()
			}
		}
	}
	t.Run("a request whose headers never end is cut off", func(t *testing.T) {
		c, err := net.Dial("tcp", s.main.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: gatehouse\r\n")
		if !closedWithin(c, 5*time.Second) {
			t.Error("the server still held the connection after 5 s")
		}
	})
	t.Run("an idle keep-alive connection is closed", func(t *testing.T) {
		c, err := net.Dial("tcp", s.main.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: gatehouse\r\n\r\n")
		if !closedWithin(c, 5*time.Second) {
			t.Error("the server still held the idle connection after 5 s")
		}
	})
	t.Run("request headers over 64 KiB get 431", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/healthz", nil)
		req.Header.Set("X-Padding", strings.Repeat("a", 100<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", resp.StatusCode)
		}
	})
}
