package manage

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// CreateAccount creates an account: operators and admin:write callers only.
func (s *Service) CreateAccount(ctx context.Context, p *gatehouse.Principal, name string) (*gatehouse.Account, error) {
	if err := Authorize(p, ActOperate, 0, "accounts"); err != nil {
		return nil, err
	}
	a := &gatehouse.Account{Name: strings.TrimSpace(name), CreatedAt: s.now().UTC()}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	err := s.change(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateAccount(ctx, a); err != nil {
			return fmt.Errorf("create account: %w", err)
		}
		return s.audit(ctx, tx, p, "account.create", fmt.Sprintf("account:%d", a.ID), "", "")
	})
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "manage: account created", "account_id", a.ID, "actor", p.Actor())
	return a, nil
}

// Account returns an account the principal may see.
func (s *Service) Account(ctx context.Context, p *gatehouse.Principal, id int64) (*gatehouse.Account, error) {
	what := fmt.Sprintf("account %d", id)
	if err := Authorize(p, ActRead, id, what); err != nil {
		return nil, err
	}
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return nil, lookupError(err, what)
	}
	return a, nil
}

// Accounts returns a page of the accounts the principal may see: every
// account for operators and admin API callers, a user's own otherwise.
func (s *Service) Accounts(ctx context.Context, p *gatehouse.Principal, f gatehouse.AccountFilter) ([]*gatehouse.Account, error) {
	if err := Authorize(p, ActRead, 0, "accounts"); err != nil {
		return nil, err
	}
	if !seesAllAccounts(p) {
		if p.AccountID <= f.AfterID {
			return []*gatehouse.Account{}, nil
		}
		a, err := s.Account(ctx, p, p.AccountID)
		if err != nil {
			return nil, err
		}
		return []*gatehouse.Account{a}, nil
	}
	list, err := s.store.Accounts(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return list, nil
}
