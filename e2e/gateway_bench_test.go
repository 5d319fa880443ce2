package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/gateway"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// BenchmarkGatewayOverhead loads a bare httputil.ReverseProxy and the
// gateway (with a JWT of a real Gatehouse, following its revocation feed)
// in front of the same upstream, each worker alternating between them
// request by request so that both meet the same machine load, and reports
// the p50 and p99 latency the gateway adds and its throughput relative to
// the bare proxy (the ratio of their mean latencies at equal concurrency).
func BenchmarkGatewayOverhead(b *testing.B) {
	s := startServer(b, app.Config{})
	rs := resourceClient(b, s)
	acme := s.createClient(b, wire.CreateClientRequest{Name: "acme", Scopes: []string{"ledger:read"}})
	cc := clientcredentials.Config{ClientID: acme.ClientID, ClientSecret: acme.ClientSecret, TokenURL: s.tokenURL("sandbox")}
	tok, err := cc.Token(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	token := tok.AccessToken

	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"balance":100}`))
	}))
	defer up.Close()
	upURL, _ := url.Parse(up.URL)
	bare := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(upURL); pr.SetXForwarded() },
		Transport: gateway.UpstreamTransport(), // the gateway's own transport settings
	})
	defer bare.Close()
	reg := prometheus.NewRegistry()
	v, err := verify.New(context.Background(), verify.Config{
		Issuer: s.URL + "/realms/sandbox", Audience: s.URL + "/realms/sandbox",
		ClientID: rs.ClientID, ClientSecret: rs.ClientSecret, FollowRevocations: true, Registerer: reg,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	g, err := gateway.New(gateway.Config{Upstream: upURL, Verifier: v, RequireScopes: []string{"ledger:read"}, Registry: reg})
	if err != nil {
		b.Fatal(err)
	}
	gw := httptest.NewServer(g)
	defer gw.Close()

	const (
		workers  = 8
		duration = 4 * time.Second
	)
	// Every worker alternates between the two targets request by request,
	// so both see the same machine load at the same moments: the
	// difference of their percentiles is what the gateway adds.
	lat, elapsed := loadInterleaved(b, [2]string{bare.URL + "/ledger/balance", gw.URL + "/ledger/balance"}, token, workers, duration)
	bareLat, gwLat := lat[0], lat[1]
	slices.Sort(bareLat)
	slices.Sort(gwLat)
	p := func(l []time.Duration, q float64) time.Duration { return l[int(float64(len(l)-1)*q)] }
	var bareSum, gwSum time.Duration
	for _, d := range bareLat {
		bareSum += d
	}
	for _, d := range gwLat {
		gwSum += d
	}
	// Throughput of each alone, from its mean latency with the same
	// concurrency: requests per second of busy worker time.
	b.ReportMetric(float64(len(bareLat)+len(gwLat))/elapsed.Seconds(), "total-req/s")
	b.ReportMetric(float64(bareSum)/float64(gwSum), "throughput-ratio")
	b.ReportMetric(float64(p(bareLat, 0.5).Microseconds()), "bare-p50-µs")
	b.ReportMetric(float64(p(gwLat, 0.5).Microseconds()), "gateway-p50-µs")
	b.ReportMetric(float64(p(bareLat, 0.99).Microseconds()), "bare-p99-µs")
	b.ReportMetric(float64(p(gwLat, 0.99).Microseconds()), "gateway-p99-µs")
	b.ReportMetric(float64((p(gwLat, 0.5) - p(bareLat, 0.5)).Microseconds()), "p50-added-µs")
	b.ReportMetric(float64((p(gwLat, 0.99) - p(bareLat, 0.99)).Microseconds()), "p99-added-µs")
}

// loadInterleaved sends GET requests with the token from workers
// keep-alive connections per target for d, each worker alternating between
// the targets, and returns the latencies of the 200 answers per target.
func loadInterleaved(b *testing.B, targets [2]string, token string, workers int, d time.Duration) ([2][]time.Duration, time.Duration) {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all [2][]time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine [2][]time.Duration
			for i := w; ctx.Err() == nil; i++ {
				k := i % 2
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, targets[k], nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d from %s", resp.StatusCode, targets[k])
					return
				}
				mine[k] = append(mine[k], time.Since(t0))
			}
			mu.Lock()
			all[0], all[1] = append(all[0], mine[0]...), append(all[1], mine[1]...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, time.Since(start)
}
