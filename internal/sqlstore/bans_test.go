package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestBansAreRecordedReplacedListedAndPruned(t *testing.T) {
	dialects(t, func(t *testing.T, open func() *Store) {
		s := open()
		ctx := context.Background()
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for _, b := range []gatehouse.IPBan{
			{Subject: "192.0.2.1", Reason: "brute_force", Environment: "sandbox", CreatedAt: now, ExpiresAt: now.Add(time.Minute)},
			{Subject: "2001:db8::/64", Reason: "rate_limit", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{Subject: "192.0.2.1", Reason: "manual", CreatedAt: now, ExpiresAt: now.Add(2 * time.Hour)}, // replaces the first
			{Subject: "192.0.2.2", Reason: "brute_force", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Minute)},
		} {
			if err := s.SaveBan(ctx, &b); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SaveBan(ctx, &gatehouse.IPBan{Subject: "x", CreatedAt: now, ExpiresAt: now}); !errorsIsInvalid(err) {
			t.Errorf("a ban ending when it starts: %v, want invalid", err)
		}
		list, err := s.ActiveBans(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Subject != "192.0.2.1" || list[0].Reason != "manual" || !list[0].ExpiresAt.Equal(now.Add(2*time.Hour)) ||
			list[1].Subject != "2001:db8::/64" {
			t.Fatalf("ActiveBans = %+v", list)
		}
		if found, err := s.DeleteBan(ctx, "192.0.2.2"); err != nil || found {
			t.Fatalf("the ended ban was not pruned: %v, %v", found, err)
		}
		if found, err := s.DeleteBan(ctx, "192.0.2.1"); err != nil || !found {
			t.Fatalf("DeleteBan: %v, %v", found, err)
		}
		if list, _ := s.ActiveBans(ctx, now); len(list) != 1 {
			t.Fatalf("after a delete: %+v", list)
		}
	})
}

func errorsIsInvalid(err error) bool { return gatehouse.ErrorCode(err) == gatehouse.EINVALID }
