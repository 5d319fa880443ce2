package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer answers every request a soak sends as Gatehouse would, counts
// them by kind, and can be told to fail one kind with a status.
type fakeServer struct {
	failKind   string
	failStatus int

	mu     sync.Mutex
	counts map[string]int
	n      atomic.Int64
}

func (f *fakeServer) count(kind string) bool {
	f.mu.Lock()
	f.counts[kind]++
	f.mu.Unlock()
	return kind == f.failKind
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	p := r.URL.Path
	var kind string
	switch {
	case p == "/metrics":
		fmt.Fprint(w, "# HELP go_goroutines x\ngo_goroutines 12\nprocess_open_fds 9\nprocess_resident_memory_bytes 4.2e+07\n")
		return
	case p == "/admin/v1/clients" && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer admin-key"):
		kind = KindAdmin
		n := f.n.Add(1)
		if f.count(kind) {
			w.WriteHeader(f.failStatus)
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"client_id": fmt.Sprint("c", n), "client_secret": "s", "api_key": fmt.Sprint("k", n), "account_id": 7})
		return
	case strings.HasPrefix(p, "/admin/v1/clients/"):
		kind = KindAdmin
	case strings.HasSuffix(p, "/token/introspect"):
		kind = KindIntrospect
	case strings.HasSuffix(p, "/revoke") && strings.Contains(p, "/realms/"):
		kind = KindRevoke
	case strings.HasSuffix(p, "/openid-connect/token"):
		kind = KindIssue
		if f.count(kind) {
			w.WriteHeader(f.failStatus)
			return
		}
		fmt.Fprintf(w, `{"access_token":"t%d"}`, f.n.Add(1))
		return
	case p == "/oauth/api/v1/oauth/token":
		kind = KindReuse
		if f.count(kind) {
			w.WriteHeader(f.failStatus)
			return
		}
		fmt.Fprintf(w, `{"access_token":"reused-%s"}`, r.Header.Get("Authorization"))
		return
	default:
		http.NotFound(w, r)
		return
	}
	if f.count(kind) {
		w.WriteHeader(f.failStatus)
		return
	}
	fmt.Fprint(w, `{}`)
}

func runFakeSoak(t *testing.T, f *fakeServer) *SoakResult {
	t.Helper()
	f.counts = map[string]int{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	mix, _ := ParseMix(DefaultMix)
	var reports atomic.Int64
	res, err := RunSoak(context.Background(), SoakConfig{
		Targets: []string{srv.URL}, Env: "sandbox", AdminKey: "admin-key", Rate: 400, Duration: 1500 * time.Millisecond,
		Mix: mix, Clients: 2, Interval: 500 * time.Millisecond, ScrapeInterval: 40 * time.Millisecond,
		OnInterval: func(IntervalReport) { reports.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if int(reports.Load()) != len(res.Intervals) || len(res.Intervals) < 3 {
		t.Fatalf("%d intervals reported, %d kept; want the same, at least 3", reports.Load(), len(res.Intervals))
	}
	return res
}

func TestSoakSendsTheMixAndJudgesIt(t *testing.T) {
	f := &fakeServer{}
	res := runFakeSoak(t, f)
	sent := 0
	for _, k := range Kinds {
		sent += res.Totals[k][Class2xx]
	}
	// About 600 requests at 400/s for 1.5 s; on a busy machine fewer.
	if sent < 200 {
		t.Fatalf("only %d requests answered: %v", sent, res.Totals)
	}
	for _, k := range Kinds {
		want := float64(sent) * float64(res.Mix[k]) / 100
		if got := float64(res.Totals[k][Class2xx]); got < want-float64(res.Mix[k])-1 || got > want+float64(res.Mix[k])+1 {
			t.Errorf("%s: %v answered, want about %.0f of %d (%v)", k, got, want, sent, res.Totals)
		}
	}
	if !res.Verdict.Pass {
		t.Fatalf("a clean run failed:\n%s", res.Verdict)
	}
	for _, r := range res.Intervals {
		if g := r.Gauges; len(g) != 1 {
			t.Fatalf("interval %v–%v has gauges %v, want one target's", r.Start, r.End, g)
		}
	}
	if res.Mismatched != 0 || res.ScrapeErrors != 0 {
		t.Fatalf("mismatched reuse %d, scrape errors %d", res.Mismatched, res.ScrapeErrors)
	}
}

func TestSoakCountsServerErrorsAgainstTheVerdict(t *testing.T) {
	res := runFakeSoak(t, &fakeServer{failKind: KindIntrospect, failStatus: http.StatusServiceUnavailable})
	if res.Totals[KindIntrospect][Class5xx] == 0 || res.Totals[KindIntrospect][Class2xx] != 0 {
		t.Fatalf("introspection answers %v, want every one 5xx", res.Totals[KindIntrospect])
	}
	if res.Verdict.Pass {
		t.Fatalf("a run with 5xx passed:\n%s", res.Verdict)
	}
	for _, c := range res.Verdict.Checks {
		if c.Name == "no 5xx" && c.Pass {
			t.Fatalf("the 5xx check passed: %+v", c)
		}
	}
}

func TestParseGauges(t *testing.T) {
	in := "# TYPE go_goroutines gauge\ngo_goroutines 31\ngo_goroutines_other 5\nprocess_open_fds 17 1700000000000\n" +
		"process_resident_memory_bytes 5.1380224e+07\nhttp_requests_total{code=\"200\"} 3\n"
	g, err := parseGauges(strings.NewReader(in), soakGauges)
	if err != nil {
		t.Fatal(err)
	}
	if g[MetricGoroutines] != 31 || g[MetricOpenFDs] != 17 || g[MetricRSS] != 5.1380224e+07 || len(g) != 3 {
		t.Fatalf("parsed %v", g)
	}
	if _, err := parseGauges(strings.NewReader("go_goroutines many\n"), soakGauges); err == nil {
		t.Fatal("a value that is not a number was accepted")
	}
}
