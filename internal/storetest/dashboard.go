package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// testDailyUsage checks the per-day usage counters the dashboard's chart
// reads.
func testDailyUsage(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	day := func(n int) time.Time { return gatehouse.UsageDay(at(0)).Add(time.Duration(n) * 24 * time.Hour) }

	t.Run("counts add up per client and day and read back by account and environment", func(t *testing.T) {
		s := newStore(t)
		must(t, "first batch", s.AddClientUsage(ctx, []gatehouse.ClientUsage{
			{ClientID: "c1", Environment: gatehouse.EnvSandbox, AccountID: 1, Tokens: 3, LastUsedAt: day(0).Add(time.Hour)},
			{ClientID: "c1", Environment: gatehouse.EnvSandbox, AccountID: 1, Tokens: 2, LastUsedAt: day(1).Add(time.Minute)},
			{ClientID: "c2", Environment: gatehouse.EnvSandbox, AccountID: 1, Tokens: 1, LastUsedAt: day(1)},
			{ClientID: "c3", Environment: gatehouse.EnvProduction, AccountID: 1, Tokens: 9, LastUsedAt: day(1)},
			{ClientID: "c4", Environment: gatehouse.EnvSandbox, AccountID: 2, Tokens: 8, LastUsedAt: day(1)},
		}))
		must(t, "second batch", s.AddClientUsage(ctx, []gatehouse.ClientUsage{
			{ClientID: "c1", Environment: gatehouse.EnvSandbox, AccountID: 1, Tokens: 4, LastUsedAt: day(1).Add(23 * time.Hour)},
		}))
		got, err := s.DailyUsage(ctx, gatehouse.UsageFilter{AccountID: 1, Environment: gatehouse.EnvSandbox, Since: day(-30)})
		must(t, "DailyUsage", err)
		want := []gatehouse.DailyUsage{
			{ClientID: "c1", Day: day(0), Tokens: 3},
			{ClientID: "c1", Day: day(1), Tokens: 6},
			{ClientID: "c2", Day: day(1), Tokens: 1},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("DailyUsage = %v, want %v", got, want)
		}
		got, err = s.DailyUsage(ctx, gatehouse.UsageFilter{AccountID: 1, Environment: gatehouse.EnvSandbox, ClientID: "c1", Since: day(1).Add(12 * time.Hour)})
		must(t, "DailyUsage of c1 since day 1", err)
		if len(got) != 1 || got[0].Tokens != 6 || !got[0].Day.Equal(day(1)) {
			t.Fatalf("DailyUsage of c1 since the middle of day 1 = %v, want day 1 only with 6 tokens", got)
		}
	})

	t.Run("retention deletes the days that ended before the cut-off and keeps the totals", func(t *testing.T) {
		s := newStore(t)
		must(t, "AddClientUsage", s.AddClientUsage(ctx, []gatehouse.ClientUsage{
			{ClientID: "c1", Environment: gatehouse.EnvSandbox, AccountID: 1, Tokens: 1, LastUsedAt: day(-2).Add(time.Hour)},
			{ClientID: "c1", Environment: gatehouse.EnvSandbox, AccountID: 1, Tokens: 2, LastUsedAt: day(-1).Add(23 * time.Hour)},
			{ClientID: "c1", Environment: gatehouse.EnvSandbox, AccountID: 1, Tokens: 4, LastUsedAt: day(0).Add(time.Minute)},
			{ClientID: "c2", Environment: gatehouse.EnvProduction, AccountID: 2, Tokens: 8, LastUsedAt: day(-5)},
		}))
		n, err := s.DeleteDailyUsageBefore(ctx, day(0).Add(12*time.Hour))
		must(t, "DeleteDailyUsageBefore", err)
		if n != 3 {
			t.Errorf("DeleteDailyUsageBefore removed %d days, want 3", n)
		}
		got, err := s.DailyUsage(ctx, gatehouse.UsageFilter{AccountID: 1, Environment: gatehouse.EnvSandbox, Since: day(-30)})
		must(t, "DailyUsage", err)
		if want := []gatehouse.DailyUsage{{ClientID: "c1", Day: day(0), Tokens: 4}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("DailyUsage after pruning = %v, want %v", got, want)
		}
		total, err := s.ClientUsage(ctx, "c1")
		must(t, "ClientUsage", err)
		if total.Tokens != 7 {
			t.Fatalf("the all-time count after pruning is %d, want 7", total.Tokens)
		}
	})

	t.Run("the usage of many clients reads in one call", func(t *testing.T) {
		s := newStore(t)
		var batch []gatehouse.ClientUsage
		var ids []string
		for i := range 1203 { // more than two batches of ids
			id := fmt.Sprintf("c%04d", i)
			ids = append(ids, id)
			if i%2 == 0 {
				batch = append(batch, gatehouse.ClientUsage{ClientID: id, Environment: gatehouse.EnvSandbox, AccountID: 1, Tokens: int64(i + 1), LastUsedAt: day(0)})
			}
		}
		must(t, "AddClientUsage", s.AddClientUsage(ctx, batch))
		got, err := s.ClientUsages(ctx, append(ids, "never-used"))
		must(t, "ClientUsages", err)
		if len(got) != 602 || got["c1202"].Tokens != 1203 || got["c0000"].Tokens != 1 || got["c0001"] != nil || !got["c0600"].LastUsedAt.Equal(day(0)) {
			t.Fatalf("ClientUsages: %d entries, c1202 %+v, c0001 %+v", len(got), got["c1202"], got["c0001"])
		}
		if got, err := s.ClientUsages(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("ClientUsages of no clients = %v, %v", got, err)
		}
	})

	t.Run("a filter without account or environment is refused", func(t *testing.T) {
		s := newStore(t)
		_, err := s.DailyUsage(ctx, gatehouse.UsageFilter{Environment: gatehouse.EnvSandbox})
		wantCode(t, "DailyUsage without account", err, gatehouse.EINVALID)
		_, err = s.DailyUsage(ctx, gatehouse.UsageFilter{AccountID: 1})
		wantCode(t, "DailyUsage without environment", err, gatehouse.EINVALID)
	})
}

// testAuditByAccount checks that audit events keep their account and can
// be filtered by it and by outcome.
func testAuditByAccount(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	events := []*gatehouse.AuditEvent{
		newAuditEvent("user:a@example.com", "client.create", "client:c1", gatehouse.EnvSandbox, at(0)),
		newAuditEvent("client:c1", gatehouse.ActionAuthFailure, "client:c1", gatehouse.EnvSandbox, at(time.Minute)),
		newAuditEvent("user:b@example.com", "client.create", "client:c9", gatehouse.EnvSandbox, at(2*time.Minute)),
		newAuditEvent("anonymous", gatehouse.ActionAuthFailure, "", gatehouse.EnvSandbox, at(3*time.Minute)),
	}
	events[0].AccountID, events[1].AccountID, events[2].AccountID = 1, 1, 2
	events[1].Outcome = gatehouse.OutcomeFailure
	events[3].Outcome = gatehouse.OutcomeFailure
	must(t, "AppendAuditBatch", s.AppendAuditBatch(ctx, events))

	got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{AccountID: 1})
	must(t, "AuditEvents of account 1", err)
	if fmt.Sprint(auditIDs(got)) != fmt.Sprint([]int64{events[0].ID, events[1].ID}) || got[1].AccountID != 1 {
		t.Fatalf("events of account 1: %v, want the first two with their account", auditIDs(got))
	}
	got, err = s.AuditEvents(ctx, gatehouse.AuditFilter{AccountID: 1, Outcome: gatehouse.OutcomeFailure})
	must(t, "failures of account 1", err)
	if len(got) != 1 || got[0].ID != events[1].ID {
		t.Fatalf("failures of account 1: %v, want only event %d", auditIDs(got), events[1].ID)
	}
	got, err = s.AuditEvents(ctx, gatehouse.AuditFilter{Outcome: gatehouse.OutcomeFailure})
	must(t, "failures of any account", err)
	if len(got) != 2 || got[1].AccountID != 0 {
		t.Fatalf("failures: %v, want two, the last without an account", auditIDs(got))
	}
}
