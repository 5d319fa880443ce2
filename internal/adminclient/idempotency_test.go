package adminclient

import (
	"context"
	"net/http/httptest"
	"testing"
)

// TestPostsSendAFreshIdempotencyKey checks that every POST carries its own
// random Idempotency-Key and that reads carry none.
func TestPostsSendAFreshIdempotencyKey(t *testing.T) {
	rec := &recorder{status: 201, body: `{"client_id":"c1","client_secret":"s"}`}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	api := New(srv.URL, "key-1", nil)
	ctx := context.Background()

	if _, err := api.CreateClient(ctx, CreateClientRequest{Environment: "sandbox", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	first := rec.last.Header.Get("Idempotency-Key")
	if _, err := api.CreateClient(ctx, CreateClientRequest{Environment: "sandbox", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	second := rec.last.Header.Get("Idempotency-Key")
	if len(first) != 32 || len(second) != 32 || first == second {
		t.Fatalf("Idempotency-Key %q then %q, want two different 32-character keys", first, second)
	}
	rec.status, rec.body = 200, `{}`
	api.Client(ctx, "c1")
	if got := rec.last.Header.Get("Idempotency-Key"); got != "" {
		t.Fatalf("a GET sent Idempotency-Key %q", got)
	}
}
