package manage

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// InvitationLifetime is how long an invitation link works.
const InvitationLifetime = 7 * 24 * time.Hour

// invitationTokenLength is the length of an invitation token: 43 base62
// characters, more than 256 bits.
const invitationTokenLength = 43

// InvitationLinkPath is the path of the page that accepts an invitation,
// followed by the token.
const InvitationLinkPath = "/ui/invitations/"

// SentInvitation is a new invitation with its link, shown to the inviter
// once (only the token's hash is stored).
type SentInvitation struct {
	Invitation *gatehouse.Invitation
	Link       string
	// Emailed reports whether the link was also sent by email.
	Emailed bool
}

// Invite invites email to account accountID with role: it stores an
// invitation whose single-use token expires after InvitationLifetime, and
// returns the link "{public_url}/ui/invitations/{token}". With a Mailer the
// link is also emailed; a failed email is logged (the inviter still has the
// link). Inviting an owner needs an owner. Inviting an address again
// replaces its pending invitation; an address that already has a user is a
// conflict.
func (s *Service) Invite(ctx context.Context, p *gatehouse.Principal, accountID int64, email, role string) (*SentInvitation, error) {
	act := ActUsers
	if role == gatehouse.RoleOwner {
		act = ActOwners
	}
	if err := Authorize(p, act, accountID, fmt.Sprintf("account %d", accountID)); err != nil {
		return nil, err
	}
	email = strings.TrimSpace(email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "email %q is not a valid address", email)
	}
	if !gatehouse.ValidRole(role) {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "role %q must be owner, admin, developer or viewer", role)
	}
	account, err := s.store.Account(ctx, accountID)
	if err != nil {
		return nil, lookupError(err, fmt.Sprintf("account %d", accountID))
	}
	token, err := gatehouse.RandomString(s.rand, invitationTokenLength)
	if err != nil {
		return nil, fmt.Errorf("generate invitation token: %w", err)
	}
	now := s.now().UTC()
	inv := &gatehouse.Invitation{
		AccountID: accountID, Email: email, Role: role, TokenHash: sha256.Sum256([]byte(token)),
		InvitedBy: p.Actor(), CreatedAt: now, ExpiresAt: now.Add(InvitationLifetime),
	}
	err = s.changeUsers(ctx, accountID, func(tx gatehouse.Store) error {
		if _, err := tx.UserByEmail(ctx, email); err == nil {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "a user with email %s already exists", email)
		} else if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			return err
		}
		pending, err := tx.Invitations(ctx, accountID)
		if err != nil {
			return err
		}
		for _, old := range pending {
			if strings.EqualFold(old.Email, email) {
				if err := tx.DeleteInvitation(ctx, old.ID); err != nil {
					return err
				}
			}
		}
		if err := tx.CreateInvitation(ctx, inv); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, "user.invite", fmt.Sprintf("invitation:%d", inv.ID), "", fmt.Sprintf("%s as %s in account %d", email, role, accountID))
	})
	if err != nil {
		return nil, err
	}
	sent := &SentInvitation{Invitation: inv, Link: strings.TrimSuffix(s.publicURL, "/") + InvitationLinkPath + token}
	s.logger.InfoContext(ctx, "manage: user invited", "invitation_id", inv.ID, "account_id", accountID, "role", role, "actor", p.Actor())
	if s.mailer != nil {
		err := s.mailer.SendInvitation(ctx, InvitationEmail{
			To: email, AccountName: account.Name, Role: role, InvitedBy: p.Actor(), Link: sent.Link,
		})
		if err != nil {
			s.logger.WarnContext(ctx, "manage: the invitation email was not sent; pass the link on", "invitation_id", inv.ID, "err", err)
		} else {
			sent.Emailed = true
		}
	}
	return sent, nil
}

// Invitations returns an account's pending invitations (expired ones
// included, so that they can be seen and cancelled), oldest first.
func (s *Service) Invitations(ctx context.Context, p *gatehouse.Principal, accountID int64) ([]*gatehouse.Invitation, error) {
	if _, err := s.Account(ctx, p, accountID); err != nil {
		return nil, err
	}
	list, err := s.store.Invitations(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return list, nil
}

// CancelInvitation deletes a pending invitation of account accountID (0:
// of whichever account); its link stops working.
func (s *Service) CancelInvitation(ctx context.Context, p *gatehouse.Principal, accountID, invitationID int64) error {
	what := fmt.Sprintf("invitation %d", invitationID)
	if err := Authorize(p, ActRead, accountID, what); err != nil {
		return err
	}
	inv, err := s.store.Invitation(ctx, invitationID)
	if err != nil {
		return lookupError(err, what)
	}
	if (accountID != 0 && inv.AccountID != accountID) || !inv.AcceptedAt.IsZero() {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
	}
	act := ActUsers
	if inv.Role == gatehouse.RoleOwner {
		act = ActOwners
	}
	if err := Authorize(p, act, inv.AccountID, what); err != nil {
		return err
	}
	return s.change(ctx, func(tx gatehouse.Store) error {
		if err := tx.DeleteInvitation(ctx, inv.ID); err != nil {
			return lookupError(err, what)
		}
		return s.audit(ctx, tx, p, "invitation.cancel", fmt.Sprintf("invitation:%d", inv.ID), "", inv.Email)
	})
}

// invalidInvitation is the one answer for a token that is unknown, used or
// expired, so that the page tells nothing more.
func invalidInvitation() error {
	return gatehouse.Errorf(gatehouse.ENOTFOUND, "this invitation link is not valid: it was used, cancelled or has expired")
}

// PendingInvitation returns the invitation a token opens, with its
// account, if it can still be accepted; not found otherwise. It needs no
// principal: the token is the credential.
func (s *Service) PendingInvitation(ctx context.Context, token string) (*gatehouse.Invitation, *gatehouse.Account, error) {
	inv, err := s.store.InvitationByToken(ctx, sha256.Sum256([]byte(token)))
	if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND || (err == nil && !inv.Pending(s.now())) {
		return nil, nil, invalidInvitation()
	} else if err != nil {
		return nil, nil, fmt.Errorf("load invitation: %w", err)
	}
	a, err := s.store.Account(ctx, inv.AccountID)
	if err != nil {
		return nil, nil, lookupError(err, fmt.Sprintf("account %d", inv.AccountID))
	}
	return inv, a, nil
}

// AcceptInvitation creates the invited user with password pw (at least
// gatehouse.MinPasswordLength characters), once: the token stops working.
// sourceIP is recorded in the audit log.
func (s *Service) AcceptInvitation(ctx context.Context, token, pw, sourceIP string) (*gatehouse.User, error) {
	inv, _, err := s.PendingInvitation(ctx, token)
	if err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(pw)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &gatehouse.User{Email: inv.Email, PasswordHash: hash, AccountID: inv.AccountID, Role: inv.Role, CreatedAt: now}
	err = s.change(ctx, func(tx gatehouse.Store) error {
		if err := tx.MarkInvitationAccepted(ctx, inv.ID, now); err != nil {
			if code := gatehouse.ErrorCode(err); code == gatehouse.ECONFLICT || code == gatehouse.ENOTFOUND {
				return invalidInvitation()
			}
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if isConflict(err) {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "a user with email %s already exists", u.Email)
			}
			return err
		}
		p := &gatehouse.Principal{UserID: u.ID, Email: u.Email, SourceIP: sourceIP}
		return s.audit(ctx, tx, p, "invitation.accept", fmt.Sprintf("user:%d", u.ID), "",
			fmt.Sprintf("invitation %d, role %s in account %d", inv.ID, u.Role, u.AccountID))
	})
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "manage: invitation accepted", "invitation_id", inv.ID, "user_id", u.ID, "account_id", u.AccountID)
	return u, nil
}

// Team is an account's people: its users and pending invitations, and what
// the principal may do to them.
type Team struct {
	Account         *gatehouse.Account
	Users           []*gatehouse.User
	Invitations     []*gatehouse.Invitation
	MayManageUsers  bool // invite, change, disable and remove users other than owners
	MayManageOwners bool // the same for owners
}

// Team returns the people of an account (up to 1000 users).
func (s *Service) Team(ctx context.Context, p *gatehouse.Principal, accountID int64) (*Team, error) {
	a, err := s.Account(ctx, p, accountID)
	if err != nil {
		return nil, err
	}
	t := &Team{Account: a,
		MayManageUsers:  Authorize(p, ActUsers, accountID, "") == nil,
		MayManageOwners: Authorize(p, ActOwners, accountID, "") == nil,
	}
	if t.Users, err = s.store.Users(ctx, gatehouse.UserFilter{AccountID: accountID, Limit: 1000}); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if t.Invitations, err = s.store.Invitations(ctx, accountID); err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return t, nil
}
