package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/password"
)

// Names of what the first start creates.
const (
	AdminClientName = "gatehouse-admin"
	OperatorEmail   = "admin@localhost"
	OperatorAccount = "Gatehouse operators"
)

// System is the principal of the server's own steps (first-start
// bootstrap, the admin key reset): an admin:write caller recorded as
// "client:system" in the audit log.
func System() *gatehouse.Principal {
	return &gatehouse.Principal{ClientID: "system", Scopes: []string{gatehouse.ScopeAdminRead, gatehouse.ScopeAdminWrite}}
}

// FindAdminClient returns the active admin client the first start created,
// or nil if there is none.
func (s *Service) FindAdminClient(ctx context.Context) (*gatehouse.Client, error) {
	for f := (gatehouse.ClientFilter{Environment: gatehouse.EnvAdmin, Limit: 1000}); ; {
		page, err := s.store.Clients(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list admin clients: %w", err)
		}
		for _, c := range page {
			if c.Name == AdminClientName && c.Active() {
				return c, nil
			}
		}
		if len(page) < f.Limit {
			return nil, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

// CreateAdminClient creates the admin client (scopes admin:read and
// admin:write) in a new operators' account, both in one transaction.
func (s *Service) CreateAdminClient(ctx context.Context) (*ClientWithSecret, error) {
	return s.CreateClient(ctx, System(), NewClient{
		Environment: gatehouse.EnvAdmin, Name: AdminClientName,
		Scopes: []string{gatehouse.ScopeAdminRead, gatehouse.ScopeAdminWrite},
	})
}

// EnsureOperator creates the operator user admin@localhost with password pw
// unless it exists; created reports whether it did.
func (s *Service) EnsureOperator(ctx context.Context, pw string) (created bool, err error) {
	_, err = s.store.UserByEmail(ctx, OperatorEmail)
	if err == nil {
		return false, nil
	} else if !errors.Is(err, gatehouse.ErrNotFound) {
		return false, fmt.Errorf("operator user: %w", err)
	}
	hash, err := password.Hash(pw, s.rand)
	if err != nil {
		return false, err
	}
	u := &gatehouse.User{Email: OperatorEmail, PasswordHash: hash, Operator: true, CreatedAt: s.now().UTC()}
	err = s.change(ctx, func(tx gatehouse.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, System(), "user.create", fmt.Sprintf("user:%d", u.ID), "", "operator "+u.Email)
	})
	if errors.Is(err, gatehouse.ErrConflict) {
		return false, nil // another replica created it
	} else if err != nil {
		return false, fmt.Errorf("operator user: %w", err)
	}
	return true, nil
}
