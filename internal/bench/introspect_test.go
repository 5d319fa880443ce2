package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// introspectionServer issues the token "tok" at /token and answers
// introspection of it at /token/introspect; active says whether it is active.
func introspectionServer(t *testing.T, active bool, introspections *atomic.Int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "id" || p != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/token":
			w.Write([]byte(`{"access_token":"tok"}`))
		case "/token/introspect":
			introspections.Add(1)
			if r.FormValue("token") == "tok" && active {
				w.Write([]byte(`{"active":true}`))
				return
			}
			w.Write([]byte(`{"active":false}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestIntrospectModeLoadsTheIntrospectionEndpointWithOneToken(t *testing.T) {
	var n atomic.Int64
	srv := introspectionServer(t, true, &n)
	res, err := Run(context.Background(), Config{
		TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "secret", Concurrency: 2,
		Duration: 200 * time.Millisecond, Mode: ModeIntrospect,
	})
	if err != nil {
		t.Fatal(err)
	}
	// One introspection checks the token before the run; each worker's
	// last request may be cut off by the end of the run and not counted.
	if seen := n.Load(); res.Successes == 0 || seen < int64(res.Requests)+1 || seen > int64(res.Requests)+3 || len(res.Errors) != 0 {
		t.Fatalf("requests %d, successes %d, errors %v; the server saw %d introspections", res.Requests, res.Successes, res.Errors, n.Load())
	}
	if !strings.Contains(res.String(), "introspections/s") {
		t.Errorf("report does not name introspections:\n%s", res)
	}
}

func TestIntrospectModeRefusesATokenThatIsNotActive(t *testing.T) {
	var n atomic.Int64
	srv := introspectionServer(t, false, &n)
	_, err := Run(context.Background(), Config{
		TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "secret", Concurrency: 1,
		Duration: time.Second, Mode: ModeIntrospect,
	})
	if err == nil || !strings.Contains(err.Error(), "active") {
		t.Fatalf("err %v, want one saying the token is not active", err)
	}
}

func TestRunRefusesAnUnknownMode(t *testing.T) {
	_, err := Run(context.Background(), Config{TokenURL: "http://127.0.0.1:1/t", ClientID: "a", ClientSecret: "b",
		Concurrency: 1, Duration: time.Second, Mode: "userinfo"})
	if err == nil {
		t.Fatal("want an error")
	}
}
