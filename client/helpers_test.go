package client_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/client"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// clock is a clock a test moves by hand.
type clock = testenv.Clock

func newClock() *clock { return testenv.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// constRand is a Rand that always reads the same byte: 0 draws no jitter
// off (the shortest wait, half of the backoff), 0xff nearly all.
type constRand byte

func (r constRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// reply is one canned answer of a tokenServer.
type reply struct {
	status int
	header map[string]string
	body   string
}

// tokenServer is a token endpoint that counts requests, issues numbered
// tokens ("tok-1", "tok-2", …) with lifetime seconds, or sends the canned
// replies queued in fail first.
type tokenServer struct {
	*httptest.Server
	lifetime int
	requests atomic.Int64
	mu       sync.Mutex
	queue    []reply
	always   *reply        // when set, every request gets it
	hold     chan struct{} // when set, each request waits for a receive
	last     *http.Request // the last request, with its form parsed
}

func newTokenServer(t testing.TB, lifetime int) *tokenServer {
	t.Helper()
	s := &tokenServer{lifetime: lifetime}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	r.ParseForm()
	s.mu.Lock()
	s.last = r
	hold := s.hold
	var rep *reply
	if len(s.queue) > 0 {
		rep, s.queue = &s.queue[0], s.queue[1:]
	} else if s.always != nil {
		rep = s.always
	}
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	w.Header().Set("Content-Type", "application/json")
	if rep != nil {
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		fmt.Fprint(w, rep.body)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer", "expires_in": s.lifetime})
}

// fail makes every request get rep until failing(nil).
func (s *tokenServer) failing(rep *reply) {
	s.mu.Lock()
	s.always = rep
	s.mu.Unlock()
}

// holdRequests makes every request wait until the returned channel is
// closed.
func (s *tokenServer) holdRequests() chan struct{} {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	return ch
}

func (s *tokenServer) enqueue(reps ...reply) {
	s.mu.Lock()
	s.queue = append(s.queue, reps...)
	s.mu.Unlock()
}

func (s *tokenServer) lastRequest() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// fetches counts finished token requests through the hooks, so a test can
// wait for a background refresh.
type fetches struct {
	started, finished atomic.Int64
	mu                sync.Mutex
	waits             []time.Duration
	log               bytes.Buffer
}

func (f *fetches) hooks() client.Hooks {
	return client.Hooks{
		FetchStart: func(client.Fetch) { f.started.Add(1) },
		FetchSuccess: func(client.Fetch, time.Duration, time.Duration) {
			f.finished.Add(1)
		},
		FetchFailure: func(_ client.Fetch, _ time.Duration, err error) {
			f.mu.Lock()
			fmt.Fprintln(&f.log, err)
			f.mu.Unlock()
		},
		// Backoff follows every FetchFailure, so a failure counts as
		// finished here.
		Backoff: func(_ client.Fetch, wait time.Duration) {
			f.mu.Lock()
			f.waits = append(f.waits, wait)
			f.mu.Unlock()
			f.finished.Add(1)
		},
	}
}

// settle waits until every started request has finished and its hooks ran.
func (f *fetches) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.started.Load() != f.finished.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("a token request did not finish: %d started, %d finished", f.started.Load(), f.finished.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

func (f *fetches) backoffs() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// newSource is a Standard source against srv with the test clock.
func newSource(t testing.TB, srv *tokenServer, clk *clock, f *fetches, edit func(*client.Config)) *client.TokenSource {
	t.Helper()
	cfg := client.Config{
		TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "secret",
		Rand: constRand(0),
	}
	if clk != nil {
		cfg.Now = clk.Now
	}
	if f != nil {
		cfg.Hooks = f.hooks()
	}
	if edit != nil {
		edit(&cfg)
	}
	src, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// mustToken returns the source's token or fails.
func mustToken(t *testing.T, src *client.TokenSource) string {
	t.Helper()
	tok, err := src.Token()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}

// waitRequests waits until srv has seen n requests and their hooks ran.
func waitRequests(t *testing.T, srv *tokenServer, f *fetches, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.requests.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d token requests, want %d", srv.requests.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	f.settle(t)
	if got := srv.requests.Load(); got != n {
		t.Fatalf("%d token requests, want %d", got, n)
	}
}
