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
	// AccountID is the account whose object or user the event concerns, so
	// that an account's members can read its log; 0 when none (an unknown
	// client, a ban of an address, an operator's own action).
	AccountID int64
	Outcome   string
	Detail    string
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
	AccountID   int64     // 0 for any account
	Outcome     string    // "" for any outcome
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
	AccountID   int64
	Tokens      int64     // tokens issued (or handed out again under reuse)
	LastUsedAt  time.Time // the last successful token request
}

// DailyUsage is how many tokens a client was issued on one UTC day.
type DailyUsage struct {
	ClientID string
	Day      time.Time // midnight UTC
	Tokens   int64
}

// UsageFilter selects per-day usage counts of an account's clients in one
// environment.
type UsageFilter struct {
	AccountID   int64     // required
	Environment string    // required
	ClientID    string    // "" for every client of the account
	Since       time.Time // only days at or after the UTC day of Since
}

// UsageDay returns the UTC day t falls on, as midnight UTC.
func UsageDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// UsageStore keeps per-client usage counters. Writes come in batches from
// an in-memory aggregator, never one per token request.
type UsageStore interface {
	// AddClientUsage adds each entry's Tokens to the client's count and to
	// its count for the UTC day of LastUsedAt, and moves its LastUsedAt
	// forward (never back), creating counters as needed. An aggregator
	// gives a batch that spans midnight one entry per day.
	AddClientUsage(ctx context.Context, usage []ClientUsage) error
	// ClientUsage returns a client's counters; ErrNotFound if it has none.
	ClientUsage(ctx context.Context, clientID string) (*ClientUsage, error)
	// ClientUsages returns the counters of the given clients, by client id;
	// clients without usage are absent. One read, for lists of clients.
	ClientUsages(ctx context.Context, clientIDs []string) (map[string]*ClientUsage, error)
	// DailyUsage returns the per-day counts matching f, ordered by client
	// and day; days without tokens are absent.
	DailyUsage(ctx context.Context, f UsageFilter) ([]DailyUsage, error)
	// DeleteDailyUsageBefore removes the per-day counts of the UTC days
	// that ended by before (the day before's own count stays) and returns
	// how many it removed; the all-time counters stay. Audit retention
	// prunes with it.
	DeleteDailyUsageBefore(ctx context.Context, before time.Time) (int64, error)
}
