package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsSuccessesAndErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "id" || p != "secret" || r.FormValue("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if n.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"access_token":"x"}`))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{
		TokenURL: srv.URL, ClientID: "id", ClientSecret: "secret", Concurrency: 4,
		Duration: 300 * time.Millisecond, ServerPID: os.Getpid(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Successes+res.Errors["429"] != res.Requests {
		t.Fatalf("requests %d, successes %d, errors %v", res.Requests, res.Successes, res.Errors)
	}
	if ratio := float64(res.Errors["429"]) / float64(res.Requests); ratio < 0.2 || ratio > 0.3 {
		t.Fatalf("a quarter of requests were refused, but errors are %.2f of requests", ratio)
	}
	if !(res.P50 > 0 && res.P50 <= res.P99 && res.P99 <= res.Max) || res.TokensPerSecond() <= 0 {
		t.Fatalf("implausible latencies %+v", res)
	}
	if res.Server == nil || res.Server.RSSBytes == 0 {
		t.Fatalf("process usage missing: %+v", res.Server)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no concurrency": {TokenURL: "http://127.0.0.1:1/t", ClientID: "a", ClientSecret: "b", Duration: time.Second},
		"no credentials": {TokenURL: "http://127.0.0.1:1/t", Concurrency: 1, Duration: time.Second},
		"a bad URL":      {TokenURL: "::", ClientID: "a", ClientSecret: "b", Concurrency: 1, Duration: time.Second},
		"a bad style":    {TokenURL: "http://127.0.0.1:1/t", ClientID: "a", ClientSecret: "b", Concurrency: 1, Duration: time.Second, AuthStyle: "jwt"},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			if _, err := Run(context.Background(), cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	if percentile(d, 50) != 50 || percentile(d, 99) != 99 || percentile(d, 100) != 100 || percentile(nil, 50) != 0 {
		t.Fatalf("percentiles %d %d %d", percentile(d, 50), percentile(d, 99), percentile(d, 100))
	}
}
