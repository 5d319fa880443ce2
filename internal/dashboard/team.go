package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// TeamService is what the team pages and the invitation page need from
// the service layer (*manage.Service), which checks the principal's
// permissions in every method.
type TeamService interface {
	// Team returns an account's users, pending invitations and what p may
	// do to them.
	Team(ctx context.Context, p *gatehouse.Principal, accountID int64) (*manage.Team, error)
	Invite(ctx context.Context, p *gatehouse.Principal, accountID int64, email, role string) (*manage.SentInvitation, error)
	UpdateUser(ctx context.Context, p *gatehouse.Principal, accountID, userID int64, patch manage.UserPatch) (*gatehouse.User, error)
	RemoveUser(ctx context.Context, p *gatehouse.Principal, accountID, userID int64) error
	CancelInvitation(ctx context.Context, p *gatehouse.Principal, accountID, invitationID int64) error
	// PendingInvitation returns the invitation a token opens and its
	// account; not found when it is unknown, used or expired.
	PendingInvitation(ctx context.Context, token string) (*gatehouse.Invitation, *gatehouse.Account, error)
	// AcceptInvitation creates the invited user with password pw.
	AcceptInvitation(ctx context.Context, token, pw, sourceIP string) (*gatehouse.User, error)
}

// teamRoles are the roles the forms offer, most privileged first.
var teamRoles = []string{gatehouse.RoleOwner, gatehouse.RoleAdmin, gatehouse.RoleDeveloper, gatehouse.RoleViewer}

// teamData is the data of the team page.
type teamData struct {
	*manage.Team
	Self        int64
	Roles       []string
	InvitedLink string // shown once, right after an invitation
	InvitedTo   string
	Emailed     bool // the link went out by email too
	NeedAccount bool // an operator must say which account
}

func (d *Dashboard) teamRoutes() {
	m := d.mux
	m.HandleFunc("GET /ui/team", d.signedIn(d.team))
	m.HandleFunc("POST /ui/team/invitations", d.signedIn(d.invite))
	m.HandleFunc("POST /ui/team/invitations/{id}/cancel", d.signedIn(d.cancelInvitation))
	m.HandleFunc("POST /ui/team/users/{id}/role", d.signedIn(d.changeRole))
	m.HandleFunc("POST /ui/team/users/{id}/disable", d.signedIn(d.disableUser))
	m.HandleFunc("POST /ui/team/users/{id}/enable", d.signedIn(d.enableUser))
	m.HandleFunc("POST /ui/team/users/{id}/remove", d.signedIn(d.removeUser))
	m.HandleFunc("GET /ui/invitations/{token}", d.invitation)
	m.HandleFunc("POST /ui/invitations/{token}", d.acceptInvitation)
}

// teamAccount is the account a team request is about: the user's own, or
// for operators the "account" parameter (0 when missing).
func teamAccount(r *http.Request, c *Caller) int64 {
	if !c.User.Operator {
		return c.User.AccountID
	}
	v := r.FormValue("account")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

func teamURL(accountID int64, c *Caller) string {
	if c.User.Operator {
		return "/ui/team?account=" + strconv.FormatInt(accountID, 10)
	}
	return "/ui/team"
}

// team lists the account's users and pending invitations.
func (d *Dashboard) team(w http.ResponseWriter, r *http.Request, c *Caller) {
	d.renderTeam(w, r, c, http.StatusOK, &teamData{})
}

func (d *Dashboard) renderTeam(w http.ResponseWriter, r *http.Request, c *Caller, status int, data *teamData) {
	data.Self, data.Roles = c.User.ID, teamRoles
	account := teamAccount(r, c)
	if account == 0 {
		data.NeedAccount, data.Team = true, &manage.Team{Account: &gatehouse.Account{}}
		d.render(w, r, c, status, "team", &Page{Title: "Team", Nav: "team", Data: data})
		return
	}
	team, err := d.cfg.Team.Team(r.Context(), principalOf(r, c), account)
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	data.Team = team
	d.render(w, r, c, status, "team", &Page{Title: "Team", Nav: "team", Data: data})
}

// invite creates an invitation and shows its link once.
func (d *Dashboard) invite(w http.ResponseWriter, r *http.Request, c *Caller) {
	email, role := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("role")
	sent, err := d.cfg.Team.Invite(r.Context(), principalOf(r, c), teamAccount(r, c), email, role)
	var e *gatehouse.Error
	if errors.As(err, &e) && (e.Code == gatehouse.EINVALID || e.Code == gatehouse.ECONFLICT) {
		d.redirect(w, r, teamURL(teamAccount(r, c), c), flashError, e.Message)
		return
	} else if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.renderTeam(w, r, c, http.StatusOK, &teamData{InvitedLink: sent.Link, InvitedTo: email, Emailed: sent.Emailed})
}

// teamAction runs one change of the team from a form and goes back to the
// team page.
func (d *Dashboard) teamAction(w http.ResponseWriter, r *http.Request, c *Caller, done string,
	fn func(ctx context.Context, p *gatehouse.Principal, account, id int64) error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		d.notFound(w, r)
		return
	}
	if err := fn(r.Context(), principalOf(r, c), teamAccount(r, c), id); err != nil {
		var e *gatehouse.Error
		if errors.As(err, &e) && (e.Code == gatehouse.EINVALID || e.Code == gatehouse.ECONFLICT) {
			d.redirect(w, r, teamURL(teamAccount(r, c), c), flashError, e.Message)
			return
		}
		d.fail(w, r, c, err)
		return
	}
	d.redirect(w, r, teamURL(teamAccount(r, c), c), flashInfo, done)
}

func (d *Dashboard) changeRole(w http.ResponseWriter, r *http.Request, c *Caller) {
	role := r.PostFormValue("role")
	d.teamAction(w, r, c, "The role is changed.", func(ctx context.Context, p *gatehouse.Principal, account, id int64) error {
		_, err := d.cfg.Team.UpdateUser(ctx, p, account, id, manage.UserPatch{Role: &role})
		return err
	})
}

func (d *Dashboard) disableUser(w http.ResponseWriter, r *http.Request, c *Caller) {
	d.setDisabled(w, r, c, true, "The user is disabled and signed out.")
}

func (d *Dashboard) enableUser(w http.ResponseWriter, r *http.Request, c *Caller) {
	d.setDisabled(w, r, c, false, "The user is enabled.")
}

// setDisabled disables or enables a user; the service ends a disabled
// user's sessions in the same transaction.
func (d *Dashboard) setDisabled(w http.ResponseWriter, r *http.Request, c *Caller, disabled bool, done string) {
	d.teamAction(w, r, c, done, func(ctx context.Context, p *gatehouse.Principal, account, id int64) error {
		_, err := d.cfg.Team.UpdateUser(ctx, p, account, id, manage.UserPatch{Disabled: &disabled})
		return err
	})
}

func (d *Dashboard) removeUser(w http.ResponseWriter, r *http.Request, c *Caller) {
	d.teamAction(w, r, c, "The user is removed.", func(ctx context.Context, p *gatehouse.Principal, account, id int64) error {
		return d.cfg.Team.RemoveUser(ctx, p, account, id)
	})
}

func (d *Dashboard) cancelInvitation(w http.ResponseWriter, r *http.Request, c *Caller) {
	d.teamAction(w, r, c, "The invitation is cancelled.", func(ctx context.Context, p *gatehouse.Principal, account, id int64) error {
		return d.cfg.Team.CancelInvitation(ctx, p, account, id)
	})
}

// invitationData is the data of the invitation acceptance page.
type invitationData struct {
	Invitation *gatehouse.Invitation
	Account    *gatehouse.Account
	Token      string
	Message    string
	MinLength  int
}

// invitation shows an invitation and the form to choose a password.
func (d *Dashboard) invitation(w http.ResponseWriter, r *http.Request) {
	d.renderInvitation(w, r, http.StatusOK, "")
}

func (d *Dashboard) renderInvitation(w http.ResponseWriter, r *http.Request, status int, message string) {
	token := r.PathValue("token")
	inv, account, err := d.cfg.Team.PendingInvitation(r.Context(), token)
	if errors.Is(err, gatehouse.ErrNotFound) {
		d.errorPage(w, r, nil, http.StatusNotFound, "This invitation link is not valid: it may have expired or been used already. Ask for a new one.")
		return
	} else if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	tok, err := d.preSessionToken(w, r)
	if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	d.render(w, r, nil, status, "invitation", &Page{Title: "Accept your invitation", CSRF: tok,
		Data: invitationData{Invitation: inv, Account: account, Token: token, Message: message, MinLength: gatehouse.MinPasswordLength}})
}

// acceptInvitation sets the invited user's password and signs them in.
func (d *Dashboard) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !checkPreSessionToken(r) {
		d.errorPage(w, r, nil, http.StatusForbidden, "This form has expired. Go back, reload the page and try again.")
		return
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		d.renderInvitation(w, r, http.StatusBadRequest, "The two passwords differ.")
		return
	}
	u, err := d.cfg.Team.AcceptInvitation(r.Context(), r.PathValue("token"), pw, clientIP(r).String())
	var e *gatehouse.Error
	if errors.As(err, &e) && e.Code == gatehouse.EINVALID {
		d.renderInvitation(w, r, http.StatusBadRequest, e.Message)
		return
	} else if errors.Is(err, gatehouse.ErrNotFound) {
		d.errorPage(w, r, nil, http.StatusNotFound, "This invitation link is not valid: it may have expired or been used already. Ask for a new one.")
		return
	} else if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	d.endSession(w, r)
	if err := d.startSession(r.Context(), w, u, false); err != nil {
		d.fail(w, r, nil, err)
		return
	}
	d.logger.Info("dashboard: invitation accepted", "user_id", u.ID, "account_id", u.AccountID)
	d.audit(r.Context(), r, u, actionSignIn, gatehouse.OutcomeSuccess, "invitation accepted")
	d.redirect(w, r, "/ui/", flashInfo, "Welcome! Your password is set and you are signed in.")
}
