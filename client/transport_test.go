package client_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse/client"
)

// api is a resource server that records what it was sent and refuses the
// tokens in refuse.
type api struct {
	*httptest.Server
	mu     sync.Mutex
	auth   []string
	bodies []string
	refuse map[string]bool
}

func newAPI(t *testing.T, refuse ...string) *api {
	t.Helper()
	a := &api{refuse: map[string]bool{}}
	for _, r := range refuse {
		a.refuse[r] = true
	}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := r.Header.Get("Authorization")
		a.mu.Lock()
		a.auth = append(a.auth, h)
		a.bodies = append(a.bodies, string(b))
		refused := a.refuse[h] || a.refuse["*"]
		a.mu.Unlock()
		if refused {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "token refused")
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *api) seen() ([]string, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.auth...), append([]string(nil), a.bodies...)
}

func TestTransportSendsTheTokenAsTheDialectExpects(t *testing.T) {
	for _, tc := range []struct {
		dialect client.Dialect
		answer  string
		want    string
	}{
		{client.Standard, `{"access_token":"std","token_type":"Bearer","expires_in":300}`, "Bearer std"},
		{client.Lengow, `{"token":"raw","account_id":1,"user_id":null}`, "raw"},
		{client.Lemonway, `{"token_Type":"Bearer","access_token":"lw","expires_in":7776000}`, "Bearer lw"},
	} {
		t.Run(tc.dialect.String(), func(t *testing.T) {
			srv := newTokenServer(t, 0)
			srv.enqueue(reply{status: 200, body: tc.answer})
			src, err := client.New(client.Config{Dialect: tc.dialect, TokenURL: srv.URL, ClientID: "id", ClientSecret: "s", APIKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			a := newAPI(t)
			req, _ := http.NewRequest(http.MethodGet, a.URL+"/feed", nil)
			resp, err := client.NewHTTPClient(src).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if auth, _ := a.seen(); len(auth) != 1 || auth[0] != tc.want {
				t.Fatalf("API saw %q, want %q", auth, tc.want)
			}
			if req.Header.Get("Authorization") != "" {
				t.Fatal("the caller's request was modified")
			}
		})
	}
}

func TestTransportRetriesOnceWithAFreshTokenAfterA401(t *testing.T) {
	srv := newTokenServer(t, 300)
	src := newSource(t, srv, newClock(), nil, nil)
	a := newAPI(t, "Bearer tok-1")
	resp, err := client.NewHTTPClient(src).Post(a.URL, "text/plain", strings.NewReader("the body"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	auth, bodies := a.seen()
	if resp.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("status %d %q", resp.StatusCode, b)
	}
	if len(auth) != 2 || auth[0] != "Bearer tok-1" || auth[1] != "Bearer tok-2" || bodies[0] != "the body" || bodies[1] != "the body" {
		t.Fatalf("API saw %q with bodies %q", auth, bodies)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestTransportRetriesOnlyOnce(t *testing.T) {
	srv := newTokenServer(t, 300)
	src := newSource(t, srv, newClock(), nil, nil)
	a := newAPI(t, "*")
	resp, err := client.NewHTTPClient(src).Get(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if auth, _ := a.seen(); resp.StatusCode != 401 || string(b) != "token refused" || len(auth) != 2 {
		t.Fatalf("status %d %q after %d API requests; want the second 401 after 2", resp.StatusCode, b, len(auth))
	}
}

func TestTransportDoesNotReplayABodyItCannotRewind(t *testing.T) {
	srv := newTokenServer(t, 300)
	src := newSource(t, srv, newClock(), nil, nil)
	a := newAPI(t, "Bearer tok-1")
	req, _ := http.NewRequest(http.MethodPost, a.URL, io.MultiReader(strings.NewReader("once"))) // no GetBody
	resp, err := client.NewHTTPClient(src).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if auth, _ := a.seen(); resp.StatusCode != 401 || len(auth) != 1 {
		t.Fatalf("status %d after %d API requests, want 401 after 1", resp.StatusCode, len(auth))
	}
}

func TestTransportReturnsTheTokenError(t *testing.T) {
	srv := newTokenServer(t, 300)
	srv.enqueue(reply{status: 401, body: `{"error":"invalid_client"}`})
	src := newSource(t, srv, newClock(), nil, nil)
	a := newAPI(t)
	_, err := client.NewHTTPClient(src).Get(a.URL)
	var re *client.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Fatalf("%v, want invalid_client", err)
	}
	if auth, _ := a.seen(); len(auth) != 0 {
		t.Fatal("the API was called without a token")
	}
}
