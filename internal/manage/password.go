package manage

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

// ActionPasswordChange is the audit action of a user changing their own
// password.
const ActionPasswordChange = "user.password_change"

// ChangePassword sets the signed-in user's password to newPW once current
// is their password (ErrWrongPassword otherwise, which the dashboard counts
// toward the sign-in lockout). newPW must meet gatehouse.ValidatePassword
// and is stored as an argon2id hash. In one transaction it ends every
// session of the user and records the change in the audit log; it returns
// how many sessions it ended, so that the caller can start a fresh one for
// the browser that asked.
func (s *Service) ChangePassword(ctx context.Context, p *gatehouse.Principal, current, newPW string) (int, error) {
	if p == nil || p.UserID == 0 {
		return 0, gatehouse.Errorf(gatehouse.EFORBIDDEN, "only a signed-in user can change their password")
	}
	u, err := s.verifyPassword(ctx, p.Email, current)
	if err != nil {
		return 0, err
	}
	if u.ID != p.UserID {
		return 0, ErrWrongPassword
	}
	hash, err := s.hashPassword(newPW)
	if err != nil {
		return 0, err
	}
	u.PasswordHash = hash
	ended := 0
	err = s.change(ctx, func(tx gatehouse.Store) error {
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		n, err := tx.DeleteUserSessions(ctx, u.ID)
		if err != nil {
			return err
		}
		ended = n
		return s.audit(ctx, tx, p, ActionPasswordChange, fmt.Sprintf("user:%d", u.ID), "",
			fmt.Sprintf("%d sessions ended", n))
	})
	if err != nil {
		return 0, err
	}
	s.logger.InfoContext(ctx, "manage: password changed", "user_id", u.ID, "sessions_ended", ended)
	return ended, nil
}
