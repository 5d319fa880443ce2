package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/password"
)

// Users returns a page of an account's users.
func (s *Service) Users(ctx context.Context, p *gatehouse.Principal, f gatehouse.UserFilter) ([]*gatehouse.User, error) {
	if _, err := s.Account(ctx, p, f.AccountID); err != nil {
		return nil, err
	}
	list, err := s.store.Users(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return list, nil
}

// User returns a user of account accountID (0: of whichever account the
// user belongs to) whom the principal may see. Operators belong to no
// account and are not found here.
func (s *Service) User(ctx context.Context, p *gatehouse.Principal, accountID, userID int64) (*gatehouse.User, error) {
	return s.visibleUser(ctx, p, ActRead, accountID, userID, "")
}

// visibleUser loads a user and checks that p may do act on them; for a
// change of role to newRole, owners are involved when the user is one or
// becomes one.
func (s *Service) visibleUser(ctx context.Context, p *gatehouse.Principal, act Action, accountID, userID int64, newRole string) (*gatehouse.User, error) {
	what := fmt.Sprintf("user %d", userID)
	if err := Authorize(p, ActRead, accountID, what); err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return nil, lookupError(err, what)
	}
	if u.AccountID == 0 || (accountID != 0 && u.AccountID != accountID) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
	}
	if err := Authorize(p, ActRead, u.AccountID, what); err != nil {
		return nil, err
	}
	if act != ActRead && (u.Role == gatehouse.RoleOwner || newRole == gatehouse.RoleOwner) {
		act = ActOwners
	}
	if err := Authorize(p, act, u.AccountID, what); err != nil {
		return nil, err
	}
	return u, nil
}

// UserPatch changes the fields of a user that are set.
type UserPatch struct {
	Role     *string
	Disabled *bool
}

// UpdateUser changes a user's role or disables (or enables) them. Admins
// manage users other than owners; only owners make or change owners. An
// account always keeps at least one active owner: a change that would leave
// it without one is refused. Disabling a user ends their dashboard
// sessions.
func (s *Service) UpdateUser(ctx context.Context, p *gatehouse.Principal, accountID, userID int64, patch UserPatch) (*gatehouse.User, error) {
	newRole := ""
	if patch.Role != nil {
		newRole = *patch.Role
		if !gatehouse.ValidRole(newRole) {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "role %q must be owner, admin, developer or viewer", newRole)
		}
	}
	u, err := s.visibleUser(ctx, p, ActUsers, accountID, userID, newRole)
	if err != nil {
		return nil, err
	}
	var details []string
	err = s.changeUsers(ctx, u.AccountID, func(tx gatehouse.Store) error {
		cur, err := tx.User(ctx, u.ID) // the user as it is now, under the account lock
		if err != nil {
			return lookupError(err, fmt.Sprintf("user %d", u.ID))
		}
		if cur.Role != u.Role { // the permission check was for the old role
			return gatehouse.Errorf(gatehouse.ECONFLICT, "user %d changed meanwhile; retry", u.ID)
		}
		prev := *cur
		if patch.Role != nil && *patch.Role != cur.Role {
			details = append(details, fmt.Sprintf("role %s -> %s", cur.Role, *patch.Role))
			cur.Role = *patch.Role
		}
		if patch.Disabled != nil && *patch.Disabled != cur.Disabled {
			cur.Disabled = *patch.Disabled
			details = append(details, map[bool]string{true: "disabled", false: "enabled"}[cur.Disabled])
			if cur.Disabled {
				if _, err := tx.DeleteUserSessions(ctx, cur.ID); err != nil {
					return err
				}
			}
		}
		if err := tx.UpdateUser(ctx, cur); err != nil {
			return err
		}
		if err := s.keepsAnOwner(ctx, tx, &prev); err != nil {
			return err
		}
		u = cur
		return s.audit(ctx, tx, p, "user.update", fmt.Sprintf("user:%d", cur.ID), "", cur.Email+": "+strings.Join(details, ", "))
	})
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "manage: user updated", "user_id", u.ID, "account_id", u.AccountID, "actor", p.Actor())
	return u, nil
}

// RemoveUser deletes a user of the account, with their sessions. The last
// active owner cannot be removed.
func (s *Service) RemoveUser(ctx context.Context, p *gatehouse.Principal, accountID, userID int64) error {
	u, err := s.visibleUser(ctx, p, ActUsers, accountID, userID, "")
	if err != nil {
		return err
	}
	err = s.changeUsers(ctx, u.AccountID, func(tx gatehouse.Store) error {
		cur, err := tx.User(ctx, u.ID) // as it is now, under the account lock
		if err != nil {
			return lookupError(err, fmt.Sprintf("user %d", userID))
		}
		if cur.Role != u.Role { // the permission check was for the old role
			return gatehouse.Errorf(gatehouse.ECONFLICT, "user %d changed meanwhile; retry", u.ID)
		}
		u = cur
		if err := tx.DeleteUser(ctx, u.ID); err != nil {
			return lookupError(err, fmt.Sprintf("user %d", u.ID))
		}
		if err := s.keepsAnOwner(ctx, tx, u); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, "user.delete", fmt.Sprintf("user:%d", u.ID), "", u.Email)
	})
	if err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "manage: user removed", "user_id", u.ID, "account_id", u.AccountID, "actor", p.Actor())
	return nil
}

// changeUsers runs fn in a transaction that holds the account's lock, so
// that concurrent changes of its users (two owners demoting each other)
// cannot together leave it without an owner.
func (s *Service) changeUsers(ctx context.Context, accountID int64, fn func(tx gatehouse.Store) error) error {
	return s.change(ctx, func(tx gatehouse.Store) error {
		if err := tx.LockAccount(ctx, accountID); err != nil {
			return lookupError(err, fmt.Sprintf("account %d", accountID))
		}
		return fn(tx)
	})
}

// keepsAnOwner refuses a change (in tx) that left the account of before
// without an active owner.
func (s *Service) keepsAnOwner(ctx context.Context, tx gatehouse.Store, before *gatehouse.User) error {
	if before.Role != gatehouse.RoleOwner || before.Disabled {
		return nil
	}
	n, err := tx.CountActiveOwners(ctx, before.AccountID)
	if err != nil {
		return err
	}
	if n == 0 {
		return gatehouse.Errorf(gatehouse.ECONFLICT,
			"%s is the last active owner of account %d: an account always keeps at least one; make another user owner first", before.Email, before.AccountID)
	}
	return nil
}

// VerifyPassword is the sign-in check of the dashboard (which keeps its
// own sessions): it returns the user with email if pw is their password
// and they are not disabled. Every failure is the same forbidden error and
// takes the same time, so that it tells nothing about which emails exist.
func (s *Service) VerifyPassword(ctx context.Context, email, pw string) (*gatehouse.User, error) {
	return s.verifyPassword(ctx, email, pw)
}

// hashPassword checks a new password against the rules and hashes it.
func (s *Service) hashPassword(pw string) (string, error) {
	if err := gatehouse.ValidatePassword(pw); err != nil {
		return "", err
	}
	h, err := password.Hash(pw, s.rand)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// isConflict reports whether err is a storage conflict.
func isConflict(err error) bool { return errors.Is(err, gatehouse.ErrConflict) }
