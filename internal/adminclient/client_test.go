package adminclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// recorder answers every request with a fixed status and body and keeps the
// last request.
type recorder struct {
	status int
	body   string
	last   *http.Request
	raw    string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.last = r
	b := make([]byte, 1024)
	n, _ := r.Body.Read(b)
	rec.raw = string(b[:n])
	w.WriteHeader(rec.status)
	w.Write([]byte(rec.body))
}

func TestRequests(t *testing.T) {
	rec := &recorder{status: 200, body: `{"items":[],"next_after":"abc"}`}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	api := New(srv.URL+"/", "key-1", nil)
	ctx := context.Background()

	t.Run("a list sends its filters as query parameters and the key as a bearer token", func(t *testing.T) {
		page, err := api.Clients(ctx, ClientQuery{Environment: "sandbox", AccountID: 7, Limit: 5, After: "x"})
		if err != nil || page.NextAfter != "abc" {
			t.Fatalf("page %+v, err %v", page, err)
		}
		r := rec.last
		if r.Method != "GET" || r.URL.Path != "/admin/v1/clients" || r.URL.RawQuery != "account_id=7&after=x&environment=sandbox&limit=5" {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer key-1" {
			t.Errorf("Authorization %q", got)
		}
	})
	t.Run("rotating sends the grace rounded up to a second", func(t *testing.T) {
		rec.body = `{"client_id":"c1","client_secret":"s"}`
		c, err := api.RotateClientSecret(ctx, "c1", 1500*time.Millisecond)
		if err != nil || c.ClientSecret != "s" {
			t.Fatalf("answer %+v, err %v", c, err)
		}
		if rec.last.URL.Path != "/admin/v1/clients/c1/rotate" || rec.raw != `{"grace_seconds":2}` ||
			rec.last.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s body %s", rec.last.URL, rec.raw)
		}
	})
	t.Run("a path segment is escaped", func(t *testing.T) {
		rec.body = `{}`
		api.Client(ctx, "a/b")
		if rec.last.URL.EscapedPath() != "/admin/v1/clients/a%2Fb" {
			t.Errorf("path %s", rec.last.URL.EscapedPath())
		}
	})
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Error
	}{
		{"an API error keeps its code and message", 404, `{"error":{"code":"not_found","message":"client \"x\" not found"}}`,
			Error{Status: 404, Code: "not_found", Message: `client "x" not found`}},
		{"a proxy's page becomes an error without code", 502, "<html>Bad Gateway</html>",
			Error{Status: 502, Message: "<html>Bad Gateway</html>"}},
		{"an empty error answer is named by its status", 503, "",
			Error{Status: 503, Message: "Service Unavailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&recorder{status: tt.status, body: tt.body})
			defer srv.Close()
			a, err := New(srv.URL, "k", nil).Account(context.Background(), 1)
			var e *Error
			if a != nil || !errors.As(err, &e) || *e != tt.want {
				t.Errorf("account %v, err %#v, want %#v", a, err, tt.want)
			}
		})
	}
}
