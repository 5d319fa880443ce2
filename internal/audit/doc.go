// Package audit records what happens at the token endpoint without slowing
// it down or letting a flood of requests become a flood of writes.
//
// A Recorder takes audit events (authentication failures, allowlist
// rejections, bans) into a bounded queue and appends them to the store in
// batches from one goroutine; when the queue is full, events are dropped and
// counted rather than blocking a request. Successful token requests are not
// events: the Recorder adds them up per client in memory (count and last
// use) and writes the sums in one batch per interval. It also prunes events,
// and the per-day usage counts of days that ended, older than the retention
// period.
//
// Admin actions are few and must not be lost, so the admin API appends them
// to the store directly (gatehouse.AuditAppender); this package is for the
// hot path.
//
// It must not import net/http, database/sql or other internal packages.
package audit
