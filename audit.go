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
