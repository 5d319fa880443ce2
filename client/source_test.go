package client_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/client"
)

func TestConcurrentCallersOfACachedTokenSendOneRequest(t *testing.T) {
	srv := newTokenServer(t, 300)
	clk := newClock()
	src := newSource(t, srv, clk, nil, nil)

	// 100 goroutines ask at once while the first request is held open:
	// they all wait for that one request.
	hold := srv.holdRequests()
	var wg sync.WaitGroup
	got := make([]string, 100)
	errs := make([]error, 100)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := src.Token()
			errs[i] = err
			if err == nil {
				got[i] = tok.AccessToken
			}
		}()
	}
	for srv.requests.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others pile up behind the request
	close(hold)
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != "tok-1" {
			t.Fatalf("caller %d got %q, %v; want tok-1", i, got[i], errs[i])
		}
	}
	// Then 100 goroutines × 100 calls over most of the lifetime: no request.
	for range 10 {
		clk.Add(20 * time.Second)
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					if tok, err := src.Token(); err != nil || tok.AccessToken != "tok-1" {
						t.Errorf("cached call got %v, %v", tok, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestACachedTokenCostsNoAllocation(t *testing.T) {
	srv := newTokenServer(t, 300)
	src := newSource(t, srv, newClock(), nil, nil)
	mustToken(t, src)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := src.Token(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Token allocates %v times per call on a cached token, want 0", allocs)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestRefreshRunsInTheBackgroundBeforeExpiry(t *testing.T) {
	srv := newTokenServer(t, 100)
	clk := newClock()
	var f fetches
	src := newSource(t, srv, clk, &f, nil)
	mustToken(t, src)

	clk.Add(79 * time.Second)
	if tok := mustToken(t, src); tok != "tok-1" || srv.requests.Load() != 1 {
		t.Fatalf("at 79%% of the lifetime: %s after %d requests, want tok-1 after 1", tok, srv.requests.Load())
	}

	// At 80 % a refresh starts; the server holds it, and callers still get
	// the current token at once.
	hold := srv.holdRequests()
	clk.Add(time.Second)
	for range 50 {
		if tok := mustToken(t, src); tok != "tok-1" {
			t.Fatalf("during the refresh: %s, want tok-1", tok)
		}
	}
	for srv.requests.Load() != 2 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	f.settle(t)
	if tok := mustToken(t, src); tok != "tok-2" {
		t.Fatalf("after the refresh: %s, want tok-2", tok)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want 2 (one refresh)", n)
	}
	got, err := src.Token()
	if err != nil || !got.Expiry.Equal(clk.Now().Add(100*time.Second)) {
		t.Fatalf("expiry %s, want the refresh time plus 100 s", got.Expiry)
	}
}

func TestRefreshAtIsConfigurable(t *testing.T) {
	srv := newTokenServer(t, 100)
	clk := newClock()
	var f fetches
	src := newSource(t, srv, clk, &f, func(c *client.Config) { c.RefreshAt = 0.5 })
	mustToken(t, src)
	clk.Add(49 * time.Second)
	mustToken(t, src)
	f.settle(t)
	if srv.requests.Load() != 1 {
		t.Fatal("refreshed before half the lifetime")
	}
	clk.Add(time.Second)
	mustToken(t, src)
	waitRequests(t, srv, &f, 2)
}

func TestATokenIsNotHandedOutInItsLastSeconds(t *testing.T) {
	srv := newTokenServer(t, 300)
	clk := newClock()
	srv.failing(&reply{status: http.StatusServiceUnavailable, body: `{"error":"temporarily_unavailable"}`})
	srv.enqueue(reply{status: 200, body: `{"access_token":"only","expires_in":300}`})
	var f fetches
	src := newSource(t, srv, clk, &f, func(c *client.Config) { c.MaxBackoff = time.Second })
	mustToken(t, src)
	clk.Add(289 * time.Second) // 11 s left: still handed out (refresh fails)
	if tok := mustToken(t, src); tok != "only" {
		t.Fatalf("11 s before expiry: %s", tok)
	}
	waitRequests(t, srv, &f, 2)
	clk.Add(time.Second) // 10 s left: the default margin
	_, err := src.Token()
	var re *client.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "temporarily_unavailable" {
		t.Fatalf("10 s before expiry with the server failing: %v, want temporarily_unavailable", err)
	}
}

func TestRetryAfterDelaysTheNextRequest(t *testing.T) {
	srv := newTokenServer(t, 300)
	clk := newClock()
	var f fetches
	src := newSource(t, srv, clk, &f, func(c *client.Config) { c.MinBackoff = 100 * time.Millisecond })
	srv.enqueue(reply{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "2"},
		body: `{"error":"slow_down","error_description":"too many requests"}`})

	_, err := src.Token()
	var re *client.RetrieveError
	if !errors.As(err, &re) || re.StatusCode != 429 || re.ErrorCode != "slow_down" || re.RetryAfter != 2*time.Second {
		t.Fatalf("first call: %#v, want 429 slow_down with Retry-After 2s", err)
	}
	f.settle(t)
	if w := f.backoffs(); len(w) != 1 || w[0] != 2*time.Second {
		t.Fatalf("backoff %v, want [2s]", w)
	}
	clk.Add(1999 * time.Millisecond)
	_, err = src.Token()
	var be *client.BackoffError
	if !errors.As(err, &be) || !errors.As(err, &re) || re.ErrorCode != "slow_down" {
		t.Fatalf("1.999 s later: %v, want a BackoffError wrapping slow_down", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d requests before Retry-After passed, want 1", n)
	}
	clk.Add(time.Millisecond)
	if tok := mustToken(t, src); tok != "tok-2" || srv.requests.Load() != 2 {
		t.Fatalf("2 s later: %s after %d requests", tok, srv.requests.Load())
	}
}

func TestRetryAfterAsAnHTTPDate(t *testing.T) {
	srv := newTokenServer(t, 300)
	clk := newClock()
	var f fetches
	src := newSource(t, srv, clk, &f, nil)
	srv.enqueue(reply{status: http.StatusServiceUnavailable, header: map[string]string{"Retry-After": clk.Now().Add(90 * time.Second).Format(http.TimeFormat)}})
	_, err := src.Token()
	var re *client.RetrieveError
	if !errors.As(err, &re) || re.RetryAfter != 90*time.Second || re.ErrorCode != "" {
		t.Fatalf("%#v, want Retry-After 90s and no error code (the body had none)", err)
	}
}

func TestServiceUnavailableBacksOffExponentiallyWithJitter(t *testing.T) {
	for _, tc := range []struct {
		name string
		rand constRand
		want []time.Duration
	}{
		{"the lowest draw waits half of each step", 0, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}},
		{"the highest draw waits nearly all of each step", 0xff, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTokenServer(t, 300)
			srv.failing(&reply{status: http.StatusServiceUnavailable, body: `{"error":"temporarily_unavailable"}`})
			clk := newClock()
			var f fetches
			src := newSource(t, srv, clk, &f, func(c *client.Config) {
				c.MinBackoff, c.MaxBackoff, c.Rand = time.Second, 8*time.Second, tc.rand
			})
			for i := range tc.want {
				if _, err := src.Token(); err == nil {
					t.Fatal("a token from a failing server")
				}
				f.settle(t)
				w := f.backoffs()
				if len(w) != i+1 {
					t.Fatalf("after %d failures %d backoffs", i+1, len(w))
				}
				// No request before the wait is over.
				clk.Add(w[i] - time.Nanosecond)
				var be *client.BackoffError
				if _, err := src.Token(); !errors.As(err, &be) {
					t.Fatalf("inside the backoff: %v, want a BackoffError", err)
				}
				if n := srv.requests.Load(); n != int64(i+1) {
					t.Fatalf("%d requests after %d failures", n, i+1)
				}
				clk.Add(time.Nanosecond)
			}
			got := f.backoffs()
			for i, want := range tc.want {
				if got[i] > want || got[i] < want-want/100 {
					t.Fatalf("backoffs %v, want about %v", got, tc.want)
				}
			}
		})
	}
}

func TestAFailingRefreshKeepsServingTheValidToken(t *testing.T) {
	srv := newTokenServer(t, 100)
	clk := newClock()
	var f fetches
	src := newSource(t, srv, clk, &f, func(c *client.Config) { c.MinBackoff, c.MaxBackoff = 4*time.Second, 4*time.Second })
	mustToken(t, src)
	srv.failing(&reply{status: http.StatusServiceUnavailable, body: `{"error":"temporarily_unavailable"}`})

	// From 80 s to 89 s the refresh fails again and again, every 2 s (the
	// 4 s backoff with the lowest jitter draw), and every caller still
	// gets tok-1.
	clk.Add(80 * time.Second)
	for i := range 9 {
		if tok := mustToken(t, src); tok != "tok-1" {
			t.Fatalf("while refreshes fail: %s", tok)
		}
		waitRequests(t, srv, &f, int64(2+i/2))
		clk.Add(time.Second)
	}
	// Past expiry (minus the margin) the failure reaches the caller.
	clk.Add(10 * time.Second)
	_, err := src.Token()
	var re *client.RetrieveError
	if !errors.As(err, &re) || re.StatusCode != 503 {
		t.Fatalf("after expiry: %v, want the 503", err)
	}
	// And once the server is back, so is the token.
	srv.failing(nil)
	clk.Add(5 * time.Second)
	if _, err := src.Token(); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestWaitingStopsWithTheCallersContext(t *testing.T) {
	srv := newTokenServer(t, 100)
	hold := srv.holdRequests()
	var f fetches
	src := newSource(t, srv, newClock(), &f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := src.TokenContext(ctx)
		done <- err
	}()
	for srv.requests.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", err)
	}
	// The request goes on, and its token serves the next caller.
	close(hold)
	f.settle(t)
	if tok := mustToken(t, src); tok != "tok-1" || srv.requests.Load() != 1 {
		t.Fatalf("%s after %d requests", tok, srv.requests.Load())
	}
}

func TestInvalidateFetchesOnceForManyCallers(t *testing.T) {
	srv := newTokenServer(t, 300)
	src := newSource(t, srv, newClock(), nil, nil)
	old, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src.Invalidate(old)
			if tok, err := src.Token(); err != nil || tok.AccessToken == old.AccessToken {
				t.Errorf("after Invalidate: %v, %v", tok, err)
			}
		}()
	}
	wg.Wait()
	if n := srv.requests.Load(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}
