package gatehouse

import (
	"context"
	"time"
)

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// AuditEvent records who did what to which object, when, and with what
// result. Events are append-only and never hold a secret, password or token.
type AuditEvent struct {
	ID          int64
	Time        time.Time
	Actor       string // "client:<id>", "user:<email>", "admin-key", "anonymous"
	SourceIP    string
	Action      string // e.g. "client.create", "client.reveal", "token.auth_failure"
	Object      string // e.g. "client:<id>", "ip:<addr>"
	Environment string
	Outcome     string
	Detail      string
}

// AuditAppender appends audit events.
type AuditAppender interface {
	// AppendAudit stores e and sets its ID.
	AppendAudit(ctx context.Context, e *AuditEvent) error
}

// Audit actions recorded by Gatehouse itself. Admin handlers name theirs
// after the resource and verb ("client.create", "account.create", ...).
const (
	ActionAuthFailure     = "token.auth_failure"
	ActionAllowlistDenied = "token.allowlist_denied"
	ActionIPBanned        = "ip.ban"
	ActionIPBanLifted     = "ip.unban"
	ActionClientReveal    = "client.reveal"
)

// AuditFilter selects a page of audit events. Empty fields match anything.
// Events are ordered by id, which is the order they were appended in:
// oldest first, or newest first when Newest is set.
type AuditFilter struct {
	Actor       string
	Action      string
	Object      string
	Environment string
	Since       time.Time // only events at or after Since
	Until       time.Time // only events before Until
	AfterID     int64     // only events with a larger id (keyset paging, oldest first)
	BeforeID    int64     // only events with a smaller id (keyset paging, newest first)
	Newest      bool      // newest first
	Limit       int       // at most this many; 0 means the store's default
}

// AuditStore keeps the audit log: append-only, listed by filter, pruned by
// age for the retention setting.
type AuditStore interface {
	AuditAppender
	// AppendAuditBatch stores events in one transaction and sets their IDs,
	// in order.
	AppendAuditBatch(ctx context.Context, events []*AuditEvent) error
	// AuditEvents returns a page of events matching f.
	AuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)
	// DeleteAuditBefore removes events older than before and returns how
	// many it removed.
	DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error)
}

// ClientUsage counts a client's successful token requests.
type ClientUsage struct {
	ClientID    string
	Environment string
	Tokens      int64     // tokens issued (or handed out again under reuse)
	LastUsedAt  time.Time // the last successful token request
}

// UsageStore keeps per-client usage counters. Writes come in batches from
// an in-memory aggregator, never one per token request.
type UsageStore interface {
	// AddClientUsage adds each entry's Tokens to the client's count and
	// moves its LastUsedAt forward (never back), creating counters as needed.
	AddClientUsage(ctx context.Context, usage []ClientUsage) error
	// ClientUsage returns a client's counters; ErrNotFound if it has none.
	ClientUsage(ctx context.Context, clientID string) (*ClientUsage, error)
}
