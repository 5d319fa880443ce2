package adminapi

import (
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// listUsers serves GET /admin/v1/accounts/{id}/users?limit=&after=.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	account, err := positiveID(r.PathValue("id"), "account id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	f := gatehouse.UserFilter{AccountID: account, Limit: limit + 1}
	if s := q.Get("after"); s != "" {
		if f.AfterID, err = strconv.ParseInt(s, 10, 64); err != nil || f.AfterID < 0 {
			return gatehouse.Errorf(gatehouse.EINVALID, "after must be a user id")
		}
	}
	users, err := h.service.Users(r.Context(), p, f)
	if err != nil {
		return err
	}
	page := wire.UserPage{Items: []wire.User{}}
	if len(users) > limit {
		users = users[:limit]
		next := users[limit-1].ID
		page.NextAfter = &next
	}
	for _, u := range users {
		page.Items = append(page.Items, userJSON(u))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// inviteUser serves POST /admin/v1/accounts/{id}/users: it invites a person
// by email and answers with the link that accepts the invitation.
func (h *Handler) inviteUser(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	account, err := positiveID(r.PathValue("id"), "account id")
	if err != nil {
		return err
	}
	var req wire.InviteUserRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	sent, err := h.service.Invite(r.Context(), p, account, req.Email, req.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wire.SentInvitation{
		Invitation: invitationJSON(sent.Invitation), Link: sent.Link, Emailed: sent.Emailed,
	})
	return nil
}

// getUser serves GET /admin/v1/accounts/{id}/users/{user_id}.
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	account, user, err := userPath(r)
	if err != nil {
		return err
	}
	u, err := h.service.User(r.Context(), p, account, user)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSON(u))
	return nil
}

// updateUser serves PATCH /admin/v1/accounts/{id}/users/{user_id}: role
// and disabled.
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	account, user, err := userPath(r)
	if err != nil {
		return err
	}
	var req wire.UpdateUserRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	u, err := h.service.UpdateUser(r.Context(), p, account, user, manage.UserPatch{Role: req.Role, Disabled: req.Disabled})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSON(u))
	return nil
}

// deleteUser serves DELETE /admin/v1/accounts/{id}/users/{user_id}.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	account, user, err := userPath(r)
	if err != nil {
		return err
	}
	if err := h.service.RemoveUser(r.Context(), p, account, user); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listInvitations serves GET /admin/v1/accounts/{id}/invitations.
func (h *Handler) listInvitations(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	account, err := positiveID(r.PathValue("id"), "account id")
	if err != nil {
		return err
	}
	list, err := h.service.Invitations(r.Context(), p, account)
	if err != nil {
		return err
	}
	out := wire.InvitationList{Items: make([]wire.Invitation, 0, len(list))}
	for _, inv := range list {
		out.Items = append(out.Items, invitationJSON(inv))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// cancelInvitation serves DELETE /admin/v1/accounts/{id}/invitations/{invitation_id}.
func (h *Handler) cancelInvitation(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	account, err := positiveID(r.PathValue("id"), "account id")
	if err != nil {
		return err
	}
	id, err := positiveID(r.PathValue("invitation_id"), "invitation id")
	if err != nil {
		return err
	}
	if err := h.service.CancelInvitation(r.Context(), p, account, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// acceptInvitation serves POST /admin/v1/invitations/accept, which needs no
// credential (the invitation token is one): it creates the invited user
// with the password chosen.
func (h *Handler) acceptInvitation(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	var req wire.AcceptInvitationRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.Token == "" || req.Password == "" {
		return gatehouse.Errorf(gatehouse.EINVALID, "token and password are required")
	}
	u, err := h.service.AcceptInvitation(r.Context(), req.Token, req.Password, remoteIP(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userJSON(u))
	return nil
}

// userPath reads the account and user ids of a user's path.
func userPath(r *http.Request) (account, user int64, err error) {
	if account, err = positiveID(r.PathValue("id"), "account id"); err != nil {
		return 0, 0, err
	}
	if user, err = positiveID(r.PathValue("user_id"), "user id"); err != nil {
		return 0, 0, err
	}
	return account, user, nil
}

func userJSON(u *gatehouse.User) wire.User {
	return wire.User{ID: u.ID, Email: u.Email, AccountID: u.AccountID, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt.UTC()}
}

func invitationJSON(inv *gatehouse.Invitation) wire.Invitation {
	return wire.Invitation{
		ID: inv.ID, AccountID: inv.AccountID, Email: inv.Email, Role: inv.Role, InvitedBy: inv.InvitedBy,
		CreatedAt: inv.CreatedAt.UTC(), ExpiresAt: inv.ExpiresAt.UTC(),
	}
}
