package gatehouse

import (
	"net/mail"
	"time"
)

// User roles within an account.
const (
	RoleOwner     = "owner"
	RoleAdmin     = "admin"
	RoleDeveloper = "developer"
	RoleViewer    = "viewer"
)

// User is a person who signs in to the dashboard: a member of one account
// with a role, or an operator (provider staff) with access to all accounts.
type User struct {
	ID           int64
	Email        string
	PasswordHash string // argon2id, PHC string format
	AccountID    int64  // 0 for operators
	Role         string // "" for operators
	Operator     bool
	Disabled     bool
	CreatedAt    time.Time
}

// Validate checks the user's fields.
func (u *User) Validate() error {
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		return Errorf(EINVALID, "email %q is not a valid address", u.Email)
	}
	if u.PasswordHash == "" {
		return Errorf(EINVALID, "user needs a password")
	}
	if u.Operator {
		return nil
	}
	switch u.Role {
	case RoleOwner, RoleAdmin, RoleDeveloper, RoleViewer:
	default:
		return Errorf(EINVALID, "role %q must be owner, admin, developer or viewer", u.Role)
	}
	if u.AccountID <= 0 {
		return Errorf(EINVALID, "a user who is not an operator needs an account")
	}
	return nil
}

// UserFilter selects a page of users, ordered by id.
type UserFilter struct {
	AccountID int64 // only the account's users; 0 for every user
	AfterID   int64 // only users with a larger id
	Limit     int   // at most this many; 0 means the store's default
}

// MinPasswordLength is the shortest password a user may choose (in
// characters). Longer passphrases are welcome; there is no rule about
// character classes, as length is what makes a password hard to guess.
const MinPasswordLength = 12

// MaxPasswordLength bounds a password, in bytes, so that hashing one costs
// a bounded time.
const MaxPasswordLength = 1024

// ValidatePassword checks a new password against the length rules.
func ValidatePassword(pw string) error {
	if n := len([]rune(pw)); n < MinPasswordLength {
		return Errorf(EINVALID, "the password must be at least %d characters long", MinPasswordLength)
	}
	if len(pw) > MaxPasswordLength {
		return Errorf(EINVALID, "the password must be at most %d bytes long", MaxPasswordLength)
	}
	return nil
}

// ValidRole reports whether role is one of the account roles.
func ValidRole(role string) bool {
	switch role {
	case RoleOwner, RoleAdmin, RoleDeveloper, RoleViewer:
		return true
	}
	return false
}

// Invitation invites a person by email to join an account with a role.
// Only the SHA-256 of its single-use token is stored; the token itself is
// in the link given to the inviter.
type Invitation struct {
	ID         int64
	AccountID  int64
	Email      string
	Role       string
	TokenHash  [32]byte
	InvitedBy  string // the inviter as audit records name it
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt time.Time // zero while pending
}

// Pending reports whether the invitation may still be accepted at now.
func (i *Invitation) Pending(now time.Time) bool {
	return i.AcceptedAt.IsZero() && now.Before(i.ExpiresAt)
}

// Validate checks the invitation's fields.
func (i *Invitation) Validate() error {
	if a, err := mail.ParseAddress(i.Email); err != nil || a.Address != i.Email {
		return Errorf(EINVALID, "email %q is not a valid address", i.Email)
	}
	if !ValidRole(i.Role) {
		return Errorf(EINVALID, "role %q must be owner, admin, developer or viewer", i.Role)
	}
	if i.AccountID <= 0 {
		return Errorf(EINVALID, "an invitation needs an account")
	}
	if !i.ExpiresAt.After(i.CreatedAt) {
		return Errorf(EINVALID, "an invitation must expire after it is made")
	}
	return nil
}
