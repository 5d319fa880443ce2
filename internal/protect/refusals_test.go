package protect

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestClientRateLimitRefusalsAreAuditedOnceAMinute(t *testing.T) {
	ctx := context.Background()
	f := newGuard(t, Config{}, gatehouse.RateLimits{ClientPerMinute: 60, ClientBurst: 1})
	client := &gatehouse.Client{ID: "c1", Environment: "sandbox", AccountID: 7}
	refused := 0
	for range 10 {
		if err := f.guard.AdmitClient(ctx, request("192.0.2.9"), f.env, client); err != nil {
			refused++
		}
	}
	events := f.audit.byAction(ActionRateLimited)
	if refused < 5 || len(events) != 1 {
		t.Fatalf("%d refusals gave %d audit events, want one", refused, len(events))
	}
	e := events[0]
	if e.Object != "client:"+client.ID || e.AccountID != client.AccountID || e.Outcome != gatehouse.OutcomeDenied || e.SourceIP != "192.0.2.9" {
		t.Fatalf("event %+v", e)
	}
	f.clock.Add(time.Minute)
	for range 3 {
		f.guard.AdmitClient(ctx, request("192.0.2.9"), f.env, client)
	}
	if n := len(f.audit.byAction(ActionRateLimited)); n != 2 {
		t.Fatalf("a minute later there are %d rate-limit events, want 2", n)
	}
}

func (r *recorder) byAction(action string) []*gatehouse.AuditEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*gatehouse.AuditEvent
	for _, e := range r.events {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}
