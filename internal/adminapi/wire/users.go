package wire

import "time"

// User is a dashboard user of an account. The password hash is never
// shown.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	AccountID int64     `json:"account_id"`
	Role      string    `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// UserPage is a page of GET /admin/v1/accounts/{id}/users. NextAfter is
// the "after" parameter that fetches the next page, absent on the last.
type UserPage struct {
	Items     []User `json:"items"`
	NextAfter *int64 `json:"next_after,omitempty"`
}

// InviteUserRequest is the body of POST /admin/v1/accounts/{id}/users.
type InviteUserRequest struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// Invitation is a pending invitation to join an account.
type Invitation struct {
	ID        int64     `json:"id"`
	AccountID int64     `json:"account_id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	InvitedBy string    `json:"invited_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SentInvitation answers an invitation: the link to accept it is shown
// once (only its token's hash is stored).
type SentInvitation struct {
	Invitation
	Link    string `json:"link"`
	Emailed bool   `json:"emailed"`
}

// InvitationList lists an account's pending invitations.
type InvitationList struct {
	Items []Invitation `json:"items"`
}

// UpdateUserRequest is the body of PATCH /admin/v1/accounts/{id}/users/{user_id}:
// the fields present change.
type UpdateUserRequest struct {
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// AcceptInvitationRequest is the body of POST /admin/v1/invitations/accept.
type AcceptInvitationRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}
