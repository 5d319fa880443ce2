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
// in front of the same upstream, alternately in 16 rounds of 250 ms each so
// that both meet the same machine load, and reports the p99 latency the
// gateway adds and its throughput relative to the bare proxy.
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
		workers = 8
		rounds  = 16
		round   = 250 * time.Millisecond
	)
	p := func(l []time.Duration, q float64) time.Duration { return l[int(float64(len(l)-1)*q)] }
	var bareLat, gwLat []time.Duration
	var bareTime, gwTime time.Duration
	var pairRatios, pairP99Added []float64 // per pair of adjacent rounds
	for i := 0; i < rounds; i++ {
		var lb, lg []time.Duration
		var db, dg time.Duration
		if i%2 == 0 { // alternate which goes first, so order effects cancel
			lb, db = load(b, bare.URL+"/ledger/balance", token, workers, round)
			lg, dg = load(b, gw.URL+"/ledger/balance", token, workers, round)
		} else {
			lg, dg = load(b, gw.URL+"/ledger/balance", token, workers, round)
			lb, db = load(b, bare.URL+"/ledger/balance", token, workers, round)
		}
		bareLat, bareTime = append(bareLat, lb...), bareTime+db
		gwLat, gwTime = append(gwLat, lg...), gwTime+dg
		slices.Sort(lb)
		slices.Sort(lg)
		pairRatios = append(pairRatios, (float64(len(lg))/dg.Seconds())/(float64(len(lb))/db.Seconds()))
		pairP99Added = append(pairP99Added, float64((p(lg, 0.99) - p(lb, 0.99)).Microseconds()))
	}
	slices.Sort(bareLat)
	slices.Sort(gwLat)
	slices.Sort(pairRatios)
	slices.Sort(pairP99Added)
	b.ReportMetric(pairRatios[len(pairRatios)/2], "paired-median-throughput-ratio")
	b.ReportMetric(pairP99Added[len(pairP99Added)/2], "paired-median-p99-added-µs")
	b.ReportMetric(float64((p(gwLat, 0.5) - p(bareLat, 0.5)).Microseconds()), "p50-added-µs")
	bareRPS := float64(len(bareLat)) / bareTime.Seconds()
	gwRPS := float64(len(gwLat)) / gwTime.Seconds()
	b.ReportMetric(bareRPS, "bare-req/s")
	b.ReportMetric(gwRPS, "gateway-req/s")
	b.ReportMetric(gwRPS/bareRPS, "throughput-ratio")
	b.ReportMetric(float64(p(bareLat, 0.5).Microseconds()), "bare-p50-µs")
	b.ReportMetric(float64(p(gwLat, 0.5).Microseconds()), "gateway-p50-µs")
	b.ReportMetric(float64(p(bareLat, 0.99).Microseconds()), "bare-p99-µs")
	b.ReportMetric(float64(p(gwLat, 0.99).Microseconds()), "gateway-p99-µs")
	b.ReportMetric(float64((p(gwLat, 0.99) - p(bareLat, 0.99)).Microseconds()), "p99-added-µs")
}

// load sends GET requests with the token from workers keep-alive
// connections for d and returns the latencies of the 200 answers.
func load(b *testing.B, target, token string, workers int, d time.Duration) ([]time.Duration, time.Duration) {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d from %s", resp.StatusCode, target)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, time.Since(start)
}
