package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

const auditColumns = `id, at, actor, source_ip, action, object, environment, account_id, outcome, detail`

// Limits on the text an audit event keeps, so that a caller cannot make the
// log grow without bound through a long header or name.
const (
	maxAuditField  = 200
	maxAuditDetail = 1000
)

// AppendAudit stores e and sets its ID; a zero Time is set to now.
func (s *Store) AppendAudit(ctx context.Context, e *gatehouse.AuditEvent) error {
	return s.AppendAuditBatch(ctx, []*gatehouse.AuditEvent{e})
}

// AppendAuditBatch stores events in one transaction, in order, and sets
// their IDs. Audit events are not part of the change feed.
func (s *Store) AppendAuditBatch(ctx context.Context, events []*gatehouse.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		if err := s.prepareAudit(e); err != nil {
			return err
		}
	}
	err := s.inTx(ctx, func(tx conn) error {
		for _, e := range events {
			err := tx.queryRow(ctx, `INSERT INTO audit_events (at, actor, source_ip, action, object, environment, account_id, outcome, detail)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				micros(e.Time), e.Actor, e.SourceIP, e.Action, e.Object, e.Environment, e.AccountID, e.Outcome, e.Detail).Scan(&e.ID)
			if err != nil {
				return dbError(err, "", "")
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append %d audit events: %w", len(events), err)
	}
	return nil
}

// prepareAudit checks e, stamps its time and cuts over-long fields.
func (s *Store) prepareAudit(e *gatehouse.AuditEvent) error {
	if e == nil || strings.TrimSpace(e.Action) == "" {
		return gatehouse.Errorf(gatehouse.EINVALID, "an audit event needs an action")
	}
	e.Time = s.stamp(e.Time)
	if e.Actor == "" {
		e.Actor = "anonymous"
	}
	if e.Outcome == "" {
		e.Outcome = gatehouse.OutcomeSuccess
	}
	for _, f := range []*string{&e.Actor, &e.SourceIP, &e.Action, &e.Object, &e.Environment, &e.Outcome} {
		*f = truncate(*f, maxAuditField)
	}
	e.Detail = truncate(e.Detail, maxAuditDetail)
	return nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// AuditEvents returns a page of events matching f, ordered by id: oldest
// first, or newest first when f.Newest is set. At most f.Limit (100 if 0,
// never more than 1000).
func (s *Store) AuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	for _, c := range []struct{ col, v string }{
		{"actor", f.Actor}, {"action", f.Action}, {"object", f.Object}, {"environment", f.Environment}, {"outcome", f.Outcome},
	} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if f.AccountID != 0 {
		add("account_id = ?", f.AccountID)
	}
	if !f.Since.IsZero() {
		add("at >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", micros(f.Until))
	}
	if f.AfterID > 0 {
		add("id > ?", f.AfterID)
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	if f.Newest {
		query += ` ORDER BY id DESC LIMIT ?`
	} else {
		query += ` ORDER BY id LIMIT ?`
	}
	args = append(args, pageLimit(f.Limit))
	rows, err := s.pool().query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var list []*gatehouse.AuditEvent
	for rows.Next() {
		var e gatehouse.AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.SourceIP, &e.Action, &e.Object, &e.Environment, &e.AccountID, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit events: %w", dbError(err, "", ""))
		}
		e.Time = fromMicros(at)
		list = append(list, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit events: %w", dbError(err, "", ""))
	}
	return list, nil
}

// DeleteAuditBefore removes events older than before, for the retention
// setting, and returns how many it removed.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.pool().exec(ctx, `DELETE FROM audit_events WHERE at < ?`, micros(before))
	if err != nil {
		return 0, fmt.Errorf("delete audit events before %s: %w", before.Format(time.RFC3339), dbError(err, "", ""))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete audit events: %w", dbError(err, "", ""))
	}
	return n, nil
}

// DeleteDailyUsageBefore removes the per-day counts of the days before
// before's UTC day, and returns how many it removed. The day index serves it.
func (s *Store) DeleteDailyUsageBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.pool().exec(ctx, `DELETE FROM client_usage_daily WHERE day < ?`, usageDay(before))
	if err != nil {
		return 0, fmt.Errorf("delete daily usage before %s: %w", before.Format(time.RFC3339), dbError(err, "", ""))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete daily usage: %w", dbError(err, "", ""))
	}
	return n, nil
}

// AddClientUsage adds usage counts in one transaction. LastUsedAt only moves
// forward, so batches from replicas may arrive in any order. Rows are
// written in client id (then day) order whatever the order of usage, so that two
// replicas writing the same clients at once lock them in the same order
// and cannot deadlock.
func (s *Store) AddClientUsage(ctx context.Context, usage []gatehouse.ClientUsage) error {
	if len(usage) == 0 {
		return nil
	}
	usage = slices.SortedFunc(slices.Values(usage), func(a, b gatehouse.ClientUsage) int {
		if c := strings.Compare(a.ClientID, b.ClientID); c != 0 {
			return c
		}
		return a.LastUsedAt.Compare(b.LastUsedAt)
	})
	err := s.inTx(ctx, func(tx conn) error {
		for _, u := range usage {
			if u.ClientID == "" || u.Tokens < 0 {
				return gatehouse.Errorf(gatehouse.EINVALID, "client usage needs a client and a count of at least 0")
			}
			last := micros(s.stamp(u.LastUsedAt))
			_, err := tx.exec(ctx, `INSERT INTO client_usage (client_id, environment, token_count, last_used_at)
				VALUES (?, ?, ?, ?)
				ON CONFLICT (client_id) DO UPDATE SET
					token_count = client_usage.token_count + excluded.token_count,
					last_used_at = CASE WHEN excluded.last_used_at > client_usage.last_used_at
						THEN excluded.last_used_at ELSE client_usage.last_used_at END`,
				u.ClientID, u.Environment, u.Tokens, last)
			if err != nil {
				return dbError(err, "", "")
			}
			_, err = tx.exec(ctx, `INSERT INTO client_usage_daily (account_id, environment, client_id, day, token_count)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (account_id, environment, client_id, day) DO UPDATE SET
					token_count = client_usage_daily.token_count + excluded.token_count`,
				u.AccountID, u.Environment, u.ClientID, usageDay(s.stamp(u.LastUsedAt)), u.Tokens)
			if err != nil {
				return dbError(err, "", "")
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add usage of %d clients: %w", len(usage), err)
	}
	return nil
}

// ClientUsage returns a client's usage counters.
func (s *Store) ClientUsage(ctx context.Context, clientID string) (*gatehouse.ClientUsage, error) {
	var u gatehouse.ClientUsage
	var last int64
	err := s.pool().queryRow(ctx, `SELECT client_id, environment, token_count, last_used_at FROM client_usage WHERE client_id = ?`,
		clientID).Scan(&u.ClientID, &u.Environment, &u.Tokens, &last)
	if err != nil {
		return nil, fmt.Errorf("load usage of client %s: %w", clientID, notFound(err, "no usage recorded for client %s", clientID))
	}
	u.LastUsedAt = fromMicros(last)
	return &u, nil
}

// usageDay numbers the UTC day of t: days since 1970-01-01.
func usageDay(t time.Time) int64 { return gatehouse.UsageDay(t).Unix() / 86400 }

// DailyUsage returns the per-day counts of an account's clients in one
// environment, ordered by client and day. The primary key (account,
// environment, client, day) serves the query.
func (s *Store) DailyUsage(ctx context.Context, f gatehouse.UsageFilter) ([]gatehouse.DailyUsage, error) {
	if f.AccountID <= 0 || f.Environment == "" {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "daily usage needs an account and an environment")
	}
	query := `SELECT client_id, day, token_count FROM client_usage_daily
		WHERE account_id = ? AND environment = ? AND day >= ?`
	args := []any{f.AccountID, f.Environment, usageDay(f.Since)}
	if f.ClientID != "" {
		query += ` AND client_id = ?`
		args = append(args, f.ClientID)
	}
	query += ` ORDER BY client_id, day`
	rows, err := s.pool().query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list daily usage: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var list []gatehouse.DailyUsage
	for rows.Next() {
		var u gatehouse.DailyUsage
		var day int64
		if err := rows.Scan(&u.ClientID, &day, &u.Tokens); err != nil {
			return nil, fmt.Errorf("list daily usage: %w", dbError(err, "", ""))
		}
		u.Day = time.Unix(day*86400, 0).UTC()
		list = append(list, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list daily usage: %w", dbError(err, "", ""))
	}
	return list, nil
}

// usageBatch is how many client ids one ClientUsages query names.
const usageBatch = 500

// ClientUsages returns the counters of clientIDs in one query per 500 ids.
func (s *Store) ClientUsages(ctx context.Context, clientIDs []string) (map[string]*gatehouse.ClientUsage, error) {
	out := make(map[string]*gatehouse.ClientUsage, len(clientIDs))
	for start := 0; start < len(clientIDs); start += usageBatch {
		ids := clientIDs[start:min(start+usageBatch, len(clientIDs))]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		rows, err := s.pool().query(ctx, `SELECT client_id, environment, token_count, last_used_at FROM client_usage
			WHERE client_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("load usage of %d clients: %w", len(ids), dbError(err, "", ""))
		}
		for rows.Next() {
			var u gatehouse.ClientUsage
			var last int64
			if err := rows.Scan(&u.ClientID, &u.Environment, &u.Tokens, &last); err != nil {
				rows.Close()
				return nil, fmt.Errorf("load usage of %d clients: %w", len(ids), dbError(err, "", ""))
			}
			u.LastUsedAt = fromMicros(last)
			out[u.ClientID] = &u
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("load usage of %d clients: %w", len(ids), dbError(err, "", ""))
		}
	}
	return out, nil
}
