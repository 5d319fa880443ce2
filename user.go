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
