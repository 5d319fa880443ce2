package manage

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

// AuditEvents returns a page of the audit log that p may read: a user of
// an account sees only the events of that account (whatever f.AccountID
// says); operators and admin API callers with admin:read see every event.
func (s *Service) AuditEvents(ctx context.Context, p *gatehouse.Principal, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, error) {
	if err := Authorize(p, ActRead, f.AccountID, fmt.Sprintf("account %d", f.AccountID)); err != nil {
		return nil, err
	}
	if !seesAllAccounts(p) {
		f.AccountID = p.AccountID
	}
	list, err := s.store.AuditEvents(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return list, nil
}

// DailyUsage returns the tokens issued per day to the clients of an
// account in one environment, for the usage chart.
func (s *Service) DailyUsage(ctx context.Context, p *gatehouse.Principal, f gatehouse.UsageFilter) ([]gatehouse.DailyUsage, error) {
	if err := Authorize(p, ActRead, f.AccountID, fmt.Sprintf("account %d", f.AccountID)); err != nil {
		return nil, err
	}
	list, err := s.store.DailyUsage(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list daily usage: %w", err)
	}
	return list, nil
}

// auditClient appends the record of a successful action by p on client c,
// in tx, under c's account so that the account's users see it.
func (s *Service) auditClient(ctx context.Context, tx gatehouse.Store, p *gatehouse.Principal, action string, c *gatehouse.Client, detail string) error {
	e := &gatehouse.AuditEvent{
		Time: s.now().UTC(), Actor: p.Actor(), SourceIP: sourceIP(p), Action: action, Object: "client:" + c.ID,
		Environment: c.Environment, AccountID: c.AccountID, Outcome: gatehouse.OutcomeSuccess, Detail: detail,
	}
	if err := tx.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s of client %s: %w", action, c.ID, err)
	}
	return nil
}
