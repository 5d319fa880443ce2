package protect

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// ActionRateLimited is the audit action of a token request refused by its
// client's rate limit.
const ActionRateLimited = "token.rate_limited"

// refusalInterval is the longest a client's rate-limit refusals go
// unrecorded: at most one audit event per client per interval, so that a
// client hammering the endpoint shows in its refusals without filling the
// audit log.
const refusalInterval = time.Minute

// maxThrottled bounds the clients remembered between two intervals.
const maxThrottled = 10000

// refusalThrottle remembers when each client's last rate-limit refusal was
// recorded.
type refusalThrottle struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether a refusal of client at now should be recorded, and
// if so notes it.
func (t *refusalThrottle) due(client string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[client]; ok && now.Sub(last) < refusalInterval {
		return false
	}
	if t.last == nil || len(t.last) >= maxThrottled {
		t.last = map[string]time.Time{}
	}
	t.last[client] = now
	return true
}

// recordRateLimited audits a refusal by c's rate limit, throttled.
func (g *Guard) recordRateLimited(c *gatehouse.Client, ip netip.Addr, perMinute int) {
	if g.cfg.Audit == nil {
		return
	}
	now := g.cfg.Now()
	if !g.refusals.due(c.ID, now) {
		return
	}
	g.cfg.Audit.Record(&gatehouse.AuditEvent{
		Time: now, Actor: "client:" + c.ID, SourceIP: ipString(ip), Action: ActionRateLimited,
		Object: "client:" + c.ID, Environment: c.Environment, AccountID: c.AccountID, Outcome: gatehouse.OutcomeDenied,
		Detail: fmt.Sprintf("429 slow_down: more than %d token requests per minute for this client (recorded at most once a minute)", perMinute),
	})
}
