package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTargetsShareTheLoadAndFilledClientsSpread(t *testing.T) {
	var mu sync.Mutex
	perServer := map[string]int{}
	clients := map[string]bool{}
	handler := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, secret, ok := r.BasicAuth()
			if !ok || !strings.HasPrefix(id, "fill") || secret != "fill-secret-"+id {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			mu.Lock()
			perServer[name]++
			clients[id] = true
			mu.Unlock()
			w.Write([]byte(`{"access_token":"x"}`))
		})
	}
	a, b := httptest.NewServer(handler("a")), httptest.NewServer(handler("b"))
	defer a.Close()
	defer b.Close()
	res, err := Run(context.Background(), Config{
		TokenURLs: []string{a.URL, b.URL}, FillClients: 1000, Concurrency: 4, Duration: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Successes == 0 || res.Successes != res.Requests {
		t.Fatalf("requests %d, successes %d, errors %v", res.Requests, res.Successes, res.Errors)
	}
	mu.Lock()
	defer mu.Unlock()
	if d := perServer["a"] - perServer["b"]; d < -4 || d > 4 {
		t.Errorf("round robin sent %d requests to a and %d to b", perServer["a"], perServer["b"])
	}
	if want := min(res.Successes/2, 100); len(clients) < want {
		t.Errorf("%d requests used only %d distinct filled clients", res.Successes, len(clients))
	}
}

func TestUnknownClientsAreRandomAndRefused(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _, _ := r.BasicAuth()
		mu.Lock()
		ids[id] = true
		mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{TokenURL: srv.URL, UnknownClients: true, Concurrency: 2, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The server may see a request or two that the end of the run cut off
	// (not counted): every counted one must still have had its own id.
	if res.Requests == 0 || res.Errors["401"] != res.Requests || len(ids) < res.Requests {
		t.Errorf("%d requests, %d refused, %d distinct ids", res.Requests, res.Errors["401"], len(ids))
	}
}

func TestAnswersAreCountedPerTargetAndStatus(t *testing.T) {
	var mu sync.Mutex
	sent := map[string]map[int]int{}
	handler := func(name string, status func(n int) int) http.Handler {
		n := 0
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			n++
			code := status(n)
			if sent[name] == nil {
				sent[name] = map[int]int{}
			}
			sent[name][code]++
			mu.Unlock()
			w.WriteHeader(code)
		})
	}
	every3rdRefused := func(n int) int {
		if n%3 == 0 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	a := httptest.NewServer(handler("a", every3rdRefused))
	b := httptest.NewServer(handler("b", func(int) int { return http.StatusTooManyRequests }))
	defer a.Close()
	defer b.Close()
	res, err := Run(context.Background(), Config{
		TokenURLs: []string{a.URL, b.URL}, ClientID: "c", ClientSecret: "s", Concurrency: 3, Duration: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]int{}
	for target, statuses := range res.ByTarget {
		name := "a"
		if strings.HasPrefix(target, b.URL) {
			name = "b"
		}
		got[name] = statuses
	}
	mu.Lock()
	defer mu.Unlock()
	// The servers may see a request or two that the end of the run cut
	// off (not counted).
	for name, statuses := range sent {
		for code, n := range statuses {
			if c := got[name][strconv.Itoa(code)]; c > n || c < n-3 {
				t.Errorf("%s answered %d %d times; the run counted %d", name, code, n, c)
			}
		}
	}
	if got["a"]["200"] != res.Successes || got["a"]["429"]+got["b"]["429"] != res.Errors["429"] || got["b"]["200"] != 0 {
		t.Errorf("by target %v against successes %d and errors %v", got, res.Successes, res.Errors)
	}
	if !strings.Contains(res.String(), "target       "+a.URL) {
		t.Errorf("the report does not list the targets:\n%s", res)
	}
}
