package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func newAuditEvent(actor, action, object, env string, when time.Time) *gatehouse.AuditEvent {
	return &gatehouse.AuditEvent{
		Time: when, Actor: actor, SourceIP: "192.0.2.7", Action: action, Object: object,
		Environment: env, Outcome: gatehouse.OutcomeSuccess, Detail: "detail of " + action,
	}
}

// auditIDs returns the ids of events, in order.
func auditIDs(events []*gatehouse.AuditEvent) []int64 {
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

func testAudit(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	// seed appends six events one minute apart and returns them.
	seed := func(t *testing.T, s gatehouse.Store) []*gatehouse.AuditEvent {
		t.Helper()
		events := []*gatehouse.AuditEvent{
			newAuditEvent("user:ops@example.com", "client.create", "client:c1", gatehouse.EnvSandbox, at(0)),
			newAuditEvent("client:c1", gatehouse.ActionAuthFailure, "client:c1", gatehouse.EnvSandbox, at(time.Minute)),
			newAuditEvent("anonymous", gatehouse.ActionAuthFailure, "client:nope", gatehouse.EnvProduction, at(2*time.Minute)),
			newAuditEvent("user:ops@example.com", "client.rotate", "client:c1", gatehouse.EnvSandbox, at(3*time.Minute)),
			newAuditEvent("admin-key", "account.create", "account:1", "", at(4*time.Minute)),
			newAuditEvent("system", gatehouse.ActionIPBanned, "ip:192.0.2.7", gatehouse.EnvProduction, at(5*time.Minute)),
		}
		for _, e := range events {
			must(t, "AppendAudit "+e.Action, s.AppendAudit(ctx, e))
		}
		return events
	}

	t.Run("an appended event gets an id and reads back with every field", func(t *testing.T) {
		s := newStore(t)
		e := newAuditEvent("user:ops@example.com", "client.create", "client:c1", gatehouse.EnvSandbox, at(time.Microsecond))
		e.Outcome = gatehouse.OutcomeDenied
		must(t, "AppendAudit", s.AppendAudit(ctx, e))
		if e.ID <= 0 {
			t.Fatalf("AppendAudit set ID %d, want a positive id", e.ID)
		}
		got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{})
		must(t, "AuditEvents", err)
		if len(got) != 1 {
			t.Fatalf("AuditEvents returned %d events, want 1", len(got))
		}
		sameFields(t, "event", got[0], e)
	})

	t.Run("events get increasing ids in the order they were appended", func(t *testing.T) {
		s := newStore(t)
		events := seed(t, s)
		for i := 1; i < len(events); i++ {
			if events[i].ID <= events[i-1].ID {
				t.Fatalf("event %d got id %d after %d", i, events[i].ID, events[i-1].ID)
			}
		}
	})

	t.Run("an event without an action is rejected", func(t *testing.T) {
		s := newStore(t)
		wantCode(t, "AppendAudit", s.AppendAudit(ctx, &gatehouse.AuditEvent{Actor: "x"}), gatehouse.EINVALID)
	})

	t.Run("a zero time is set to now and empty actor and outcome get defaults", func(t *testing.T) {
		s := newStore(t)
		before := time.Now().Add(-time.Second)
		e := &gatehouse.AuditEvent{Action: "account.create"}
		must(t, "AppendAudit", s.AppendAudit(ctx, e))
		if e.Time.Before(before) || e.Time.After(time.Now().Add(time.Second)) || e.Time.Location() != time.UTC {
			t.Errorf("Time is %v, want about now in UTC", e.Time)
		}
		if e.Actor != "anonymous" || e.Outcome != gatehouse.OutcomeSuccess {
			t.Errorf("actor %q outcome %q, want anonymous and success", e.Actor, e.Outcome)
		}
	})

	t.Run("over-long fields are cut rather than refused", func(t *testing.T) {
		s := newStore(t)
		e := newAuditEvent(strings.Repeat("a", 5000), "client.create", "client:c1", "", at(0))
		e.Detail = strings.Repeat("é", 5000)
		must(t, "AppendAudit", s.AppendAudit(ctx, e))
		got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{})
		must(t, "AuditEvents", err)
		if n := len(got[0].Actor); n == 0 || n > 1000 {
			t.Errorf("actor kept %d bytes, want it cut to a few hundred", n)
		}
		if n := len(got[0].Detail); n == 0 || n > 2000 || !strings.HasPrefix(e.Detail+"x", got[0].Detail) {
			t.Errorf("detail kept %d bytes, want a prefix of the original cut on a character boundary", n)
		}
	})

	t.Run("filters select events", func(t *testing.T) {
		s := newStore(t)
		ev := seed(t, s)
		cases := []struct {
			name   string
			filter gatehouse.AuditFilter
			want   []*gatehouse.AuditEvent
		}{
			{"no filter returns everything oldest first", gatehouse.AuditFilter{}, ev},
			{"by actor", gatehouse.AuditFilter{Actor: "user:ops@example.com"}, []*gatehouse.AuditEvent{ev[0], ev[3]}},
			{"by action", gatehouse.AuditFilter{Action: gatehouse.ActionAuthFailure}, []*gatehouse.AuditEvent{ev[1], ev[2]}},
			{"by object", gatehouse.AuditFilter{Object: "client:c1"}, []*gatehouse.AuditEvent{ev[0], ev[1], ev[3]}},
			{"by environment", gatehouse.AuditFilter{Environment: gatehouse.EnvProduction}, []*gatehouse.AuditEvent{ev[2], ev[5]}},
			{"since is inclusive", gatehouse.AuditFilter{Since: at(4 * time.Minute)}, []*gatehouse.AuditEvent{ev[4], ev[5]}},
			{"until is exclusive", gatehouse.AuditFilter{Until: at(time.Minute)}, []*gatehouse.AuditEvent{ev[0]}},
			{"filters combine", gatehouse.AuditFilter{Object: "client:c1", Action: "client.rotate", Since: at(time.Minute)}, []*gatehouse.AuditEvent{ev[3]}},
			{"newest first", gatehouse.AuditFilter{Newest: true, Limit: 2}, []*gatehouse.AuditEvent{ev[5], ev[4]}},
			{"nothing matches", gatehouse.AuditFilter{Actor: "nobody"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.AuditEvents(ctx, tc.filter)
				must(t, "AuditEvents", err)
				if fmt.Sprint(auditIDs(got)) != fmt.Sprint(auditIDs(tc.want)) {
					t.Fatalf("got ids %v, want %v", auditIDs(got), auditIDs(tc.want))
				}
				for i := range got {
					sameFields(t, fmt.Sprintf("event %d", i), got[i], tc.want[i])
				}
			})
		}
	})

	t.Run("keyset paging walks every event once in both directions", func(t *testing.T) {
		s := newStore(t)
		ev := seed(t, s)
		for _, newest := range []bool{false, true} {
			var seen []int64
			f := gatehouse.AuditFilter{Limit: 4, Newest: newest}
			for range len(ev) {
				page, err := s.AuditEvents(ctx, f)
				must(t, "AuditEvents", err)
				if len(page) == 0 {
					break
				}
				seen = append(seen, auditIDs(page)...)
				if newest {
					f.BeforeID = page[len(page)-1].ID
				} else {
					f.AfterID = page[len(page)-1].ID
				}
			}
			want := auditIDs(ev)
			if newest {
				for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
					want[i], want[j] = want[j], want[i]
				}
			}
			if fmt.Sprint(seen) != fmt.Sprint(want) {
				t.Errorf("newest=%v: paging saw %v, want %v", newest, seen, want)
			}
		}
	})

	t.Run("a batch is appended in order", func(t *testing.T) {
		s := newStore(t)
		batch := []*gatehouse.AuditEvent{
			newAuditEvent("a", "x.one", "", "", at(0)),
			newAuditEvent("b", "x.two", "", "", at(0)),
			newAuditEvent("c", "x.three", "", "", at(0)),
		}
		must(t, "AppendAuditBatch", s.AppendAuditBatch(ctx, batch))
		got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{})
		must(t, "AuditEvents", err)
		if fmt.Sprint(auditIDs(got)) != fmt.Sprint(auditIDs(batch)) || got[2].Action != "x.three" {
			t.Fatalf("got ids %v, want %v in append order", auditIDs(got), auditIDs(batch))
		}
	})

	t.Run("a batch with an invalid event stores nothing", func(t *testing.T) {
		s := newStore(t)
		batch := []*gatehouse.AuditEvent{newAuditEvent("a", "x.one", "", "", at(0)), {Actor: "b"}}
		wantCode(t, "AppendAuditBatch", s.AppendAuditBatch(ctx, batch), gatehouse.EINVALID)
		got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{})
		must(t, "AuditEvents", err)
		if len(got) != 0 {
			t.Fatalf("a rejected batch left %d events", len(got))
		}
	})

	t.Run("retention deletes only events older than the cut-off", func(t *testing.T) {
		s := newStore(t)
		ev := seed(t, s)
		n, err := s.DeleteAuditBefore(ctx, at(2*time.Minute))
		must(t, "DeleteAuditBefore", err)
		if n != 2 {
			t.Errorf("DeleteAuditBefore removed %d events, want 2", n)
		}
		got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{})
		must(t, "AuditEvents", err)
		if fmt.Sprint(auditIDs(got)) != fmt.Sprint(auditIDs(ev[2:])) {
			t.Fatalf("left ids %v, want %v", auditIDs(got), auditIDs(ev[2:]))
		}
	})

	t.Run("concurrent appenders lose no event", func(t *testing.T) {
		s := newStore(t)
		const n = 20
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.AppendAudit(ctx, newAuditEvent("a", fmt.Sprintf("x.%d", i), "", "", at(0))); err != nil {
					t.Errorf("AppendAudit %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{})
		must(t, "AuditEvents", err)
		if len(got) != n {
			t.Fatalf("got %d events, want %d", len(got), n)
		}
	})
}

func testUsage(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("usage adds up and the last use only moves forward", func(t *testing.T) {
		s := newStore(t)
		must(t, "first batch", s.AddClientUsage(ctx, []gatehouse.ClientUsage{
			{ClientID: "c1", Environment: gatehouse.EnvSandbox, Tokens: 3, LastUsedAt: at(time.Minute)},
			{ClientID: "c2", Environment: gatehouse.EnvProduction, Tokens: 1, LastUsedAt: at(0)},
		}))
		must(t, "second batch", s.AddClientUsage(ctx, []gatehouse.ClientUsage{
			{ClientID: "c1", Environment: gatehouse.EnvSandbox, Tokens: 4, LastUsedAt: at(30 * time.Second)},
		}))
		got, err := s.ClientUsage(ctx, "c1")
		must(t, "ClientUsage c1", err)
		sameFields(t, "usage of c1", got, &gatehouse.ClientUsage{
			ClientID: "c1", Environment: gatehouse.EnvSandbox, Tokens: 7, LastUsedAt: at(time.Minute),
		})
		got, err = s.ClientUsage(ctx, "c2")
		must(t, "ClientUsage c2", err)
		if got.Tokens != 1 {
			t.Errorf("c2 has %d tokens, want 1", got.Tokens)
		}
	})

	t.Run("a client without usage is not found", func(t *testing.T) {
		s := newStore(t)
		_, err := s.ClientUsage(ctx, "never-used")
		wantCode(t, "ClientUsage", err, gatehouse.ENOTFOUND)
	})

	t.Run("concurrent batches lose no count", func(t *testing.T) {
		s := newStore(t)
		const n = 10
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.AddClientUsage(ctx, []gatehouse.ClientUsage{{ClientID: "c1", Tokens: 5, LastUsedAt: at(time.Duration(i) * time.Second)}})
				if err != nil {
					t.Errorf("AddClientUsage %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		got, err := s.ClientUsage(ctx, "c1")
		must(t, "ClientUsage", err)
		if got.Tokens != 5*n || !got.LastUsedAt.Equal(at((n-1)*time.Second)) {
			t.Fatalf("got %d tokens last used %v, want %d and %v", got.Tokens, got.LastUsedAt, 5*n, at((n-1)*time.Second))
		}
	})
}
