package adminclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// The admin API's JSON shapes for users and invitations.
type (
	User              = wire.User
	UserPage          = wire.UserPage
	Invitation        = wire.Invitation
	SentInvitation    = wire.SentInvitation
	UpdateUserRequest = wire.UpdateUserRequest
)

func usersPath(account int64) string { return "/accounts/" + strconv.FormatInt(account, 10) + "/users" }

// Users returns a page of an account's users; after is the last id of the
// previous page (0 for the first).
func (c *API) Users(ctx context.Context, account int64, limit int, after int64) (*UserPage, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if after > 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	return call[UserPage](ctx, c, http.MethodGet, usersPath(account), q, nil)
}

// InviteUser invites email to the account with role; the answer holds the
// link that accepts the invitation, shown only here.
func (c *API) InviteUser(ctx context.Context, account int64, email, role string) (*SentInvitation, error) {
	return call[SentInvitation](ctx, c, http.MethodPost, usersPath(account), nil, wire.InviteUserRequest{Email: email, Role: role})
}

// User returns one user of the account.
func (c *API) User(ctx context.Context, account, id int64) (*User, error) {
	return call[User](ctx, c, http.MethodGet, usersPath(account)+"/"+strconv.FormatInt(id, 10), nil, nil)
}

// UpdateUser changes the role or disabled flag present in req.
func (c *API) UpdateUser(ctx context.Context, account, id int64, req UpdateUserRequest) (*User, error) {
	return call[User](ctx, c, http.MethodPatch, usersPath(account)+"/"+strconv.FormatInt(id, 10), nil, req)
}

// RemoveUser deletes a user of the account.
func (c *API) RemoveUser(ctx context.Context, account, id int64) error {
	return c.do(ctx, http.MethodDelete, usersPath(account)+"/"+strconv.FormatInt(id, 10), nil, nil, nil)
}

// Invitations returns the account's pending invitations.
func (c *API) Invitations(ctx context.Context, account int64) ([]Invitation, error) {
	out, err := call[wire.InvitationList](ctx, c, http.MethodGet, "/accounts/"+strconv.FormatInt(account, 10)+"/invitations", nil, nil)
	if err != nil {
		return nil, err
	}
	return out.Items, nil
}

// CancelInvitation deletes a pending invitation; its link stops working.
func (c *API) CancelInvitation(ctx context.Context, account, id int64) error {
	path := "/accounts/" + strconv.FormatInt(account, 10) + "/invitations/" + strconv.FormatInt(id, 10)
	return c.do(ctx, http.MethodDelete, path, nil, nil, nil)
}

// AcceptInvitation creates the invited user with password; it needs no
// admin credential (the token is one).
func (c *API) AcceptInvitation(ctx context.Context, token, password string) (*User, error) {
	return call[User](ctx, c, http.MethodPost, "/invitations/accept", nil, wire.AcceptInvitationRequest{Token: token, Password: password})
}
