package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthAndReadiness(t *testing.T) {
	var storeErr error
	s := &server{ping: func(context.Context) error { return storeErr }, logger: slog.New(slog.DiscardHandler)}
	get := func(h http.HandlerFunc) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec
	}
	if rec := get(s.healthz); rec.Code != 200 {
		t.Fatalf("healthz = %d", rec.Code)
	}
	if rec := get(s.readyz); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"storage":"ok"`) {
		t.Fatalf("readyz with a reachable store = %d %s", rec.Code, rec.Body)
	}
	storeErr = errors.New("dial tcp 127.0.0.1:5432: connection refused")
	rec := get(s.readyz)
	if rec.Code != 503 || strings.Contains(rec.Body.String(), "5432") {
		t.Fatalf("readyz with the store down = %d %s (must be 503 without internals)", rec.Code, rec.Body)
	}
	if rec := get(s.healthz); rec.Code != 200 {
		t.Fatalf("healthz must not depend on the store, got %d", rec.Code)
	}
}
