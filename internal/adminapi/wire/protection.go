package wire

import (
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// RateLimits are an environment's token endpoint rate limits: requests per
// minute (sustained) and burst, per client and per source IP. A rate of 0
// switches that limit off.
type RateLimits struct {
	ClientPerMinute int `json:"client_per_minute"`
	ClientBurst     int `json:"client_burst"`
	IPPerMinute     int `json:"ip_per_minute"`
	IPBurst         int `json:"ip_burst"`
}

// RateLimitsPatch changes the rate limits it names; absent fields stay.
type RateLimitsPatch struct {
	ClientPerMinute *int `json:"client_per_minute,omitempty"`
	ClientBurst     *int `json:"client_burst,omitempty"`
	IPPerMinute     *int `json:"ip_per_minute,omitempty"`
	IPBurst         *int `json:"ip_burst,omitempty"`
}

// Ban keeps a source address from requesting tokens until ExpiresAt.
type Ban struct {
	// Subject is the banned IPv4 address or IPv6 /64.
	Subject     string    `json:"subject"`
	Reason      string    `json:"reason"`
	Environment string    `json:"environment,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// BanList is the answer of GET /admin/v1/bans.
type BanList struct {
	Items []Ban `json:"items"`
}

// LiftedBan is the answer of DELETE /admin/v1/bans/{subject}.
type LiftedBan struct {
	Subject string `json:"subject"`
	Lifted  bool   `json:"lifted"`
}

// AuditEvent is one entry of the audit log.
type AuditEvent struct {
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	Actor       string    `json:"actor"`
	SourceIP    string    `json:"source_ip,omitempty"`
	Action      string    `json:"action"`
	Object      string    `json:"object,omitempty"`
	Environment string    `json:"environment,omitempty"`
	Outcome     string    `json:"outcome"`
	Detail      string    `json:"detail,omitempty"`
}

// AuditEventOf is e as the admin API and the dashboard's export write it.
func AuditEventOf(e *gatehouse.AuditEvent) AuditEvent {
	return AuditEvent{
		ID: e.ID, Time: e.Time.UTC(), Actor: e.Actor, SourceIP: e.SourceIP, Action: e.Action,
		Object: e.Object, Environment: e.Environment, Outcome: e.Outcome, Detail: e.Detail,
	}
}

// AuditPage is a page of GET /admin/v1/audit. NextAfter (oldest first) or
// NextBefore (order=desc) is the parameter value that fetches the next
// page; absent on the last page.
type AuditPage struct {
	Items      []AuditEvent `json:"items"`
	NextAfter  *int64       `json:"next_after,omitempty"`
	NextBefore *int64       `json:"next_before,omitempty"`
}

// ClientUsage counts a client's successful token requests. The counts are
// written in batches, so they trail the token endpoint by a few seconds.
type ClientUsage struct {
	ClientID    string     `json:"client_id"`
	Environment string     `json:"environment"`
	Tokens      int64      `json:"tokens"`
	LastUsedAt  *time.Time `json:"last_used_at"`
}
