package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testIdempotencyKeys(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s, ok := newStore(t).(gatehouse.IdempotencyStore)
	if !ok {
		t.Fatal("the store does not keep idempotency keys")
	}
	rec := func(key string, created time.Duration) *gatehouse.IdempotencyRecord {
		return &gatehouse.IdempotencyRecord{Scope: "client:admin", Key: key, RequestHash: bytes.Repeat([]byte{1}, 32), CreatedAt: at(created)}
	}
	t.Run("a key is reserved once; its answer is stored and read back", func(t *testing.T) {
		got, err := s.ReserveIdempotencyKey(ctx, rec("k1", 0))
		if err != nil || got != nil {
			t.Fatalf("first reservation: %+v, %v", got, err)
		}
		got, err = s.ReserveIdempotencyKey(ctx, rec("k1", time.Second))
		must(t, "second reservation", err)
		if got == nil || got.Status != 0 || !bytes.Equal(got.RequestHash, bytes.Repeat([]byte{1}, 32)) || !got.CreatedAt.Equal(at(0)) {
			t.Fatalf("second reservation returned %+v, want the pending record", got)
		}
		done := rec("k1", 0)
		done.Status, done.Location, done.Body = 201, "/admin/v1/clients/x", []byte("sealed")
		must(t, "complete", s.CompleteIdempotencyKey(ctx, done))
		wantCode(t, "complete twice", s.CompleteIdempotencyKey(ctx, done), gatehouse.ENOTFOUND)
		got, err = s.ReserveIdempotencyKey(ctx, rec("k1", time.Second))
		must(t, "third reservation", err)
		if got == nil || got.Status != 201 || got.Location != "/admin/v1/clients/x" || string(got.Body) != "sealed" {
			t.Fatalf("stored answer %+v", got)
		}
		must(t, "release of a completed key", s.ReleaseIdempotencyKey(ctx, "client:admin", "k1"))
		if got, _ := s.ReserveIdempotencyKey(ctx, rec("k1", time.Second)); got == nil || got.Status != 201 {
			t.Fatal("releasing a completed key deleted its answer")
		}
	})
	t.Run("keys are scoped to the caller", func(t *testing.T) {
		other := rec("k1", 0)
		other.Scope = "client:other"
		if got, err := s.ReserveIdempotencyKey(ctx, other); err != nil || got != nil {
			t.Fatalf("another caller's key: %+v, %v", got, err)
		}
	})
	t.Run("a released pending key can be reserved again", func(t *testing.T) {
		must(t, "reserve", func() error { _, err := s.ReserveIdempotencyKey(ctx, rec("k2", 0)); return err }())
		must(t, "release", s.ReleaseIdempotencyKey(ctx, "client:admin", "k2"))
		if got, err := s.ReserveIdempotencyKey(ctx, rec("k2", 0)); err != nil || got != nil {
			t.Fatalf("reserve after release: %+v, %v", got, err)
		}
	})
	t.Run("concurrent reservations: exactly one wins", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := s.ReserveIdempotencyKey(ctx, rec("k3", 0))
				if err != nil {
					t.Error(err)
				}
				if got == nil && err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d reservations won, want 1", won)
		}
	})
	t.Run("old keys are pruned", func(t *testing.T) {
		must(t, "prune", s.DeleteOldIdempotencyKeys(ctx, at(time.Millisecond)))
		if got, err := s.ReserveIdempotencyKey(ctx, rec("k1", time.Hour)); err != nil || got != nil {
			t.Fatalf("a pruned key is still held: %+v, %v", got, err)
		}
	})
}
