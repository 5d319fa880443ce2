package dashboard

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// fakeTeam is a TeamService over a fixed account, recording what it was
// asked to do.
type fakeTeam struct {
	h        *harness
	token    string
	calls    []string
	accepted *gatehouse.User
}

func (f *fakeTeam) Team(ctx context.Context, p *gatehouse.Principal, accountID int64) (*manage.Team, error) {
	if accountID != p.AccountID {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "account not found")
	}
	u, err := f.h.store.UserByEmail(ctx, f.h.email)
	if err != nil {
		return nil, err
	}
	other := &gatehouse.User{ID: 99, Email: "viewer@acme.example", Role: gatehouse.RoleViewer, AccountID: accountID}
	return &manage.Team{Account: &gatehouse.Account{ID: accountID, Name: "Acme"}, Users: []*gatehouse.User{u, other}, MayManageUsers: true,
		Invitations: []*gatehouse.Invitation{{ID: 7, Email: "new@acme.example", Role: gatehouse.RoleViewer}}}, nil
}

func (f *fakeTeam) Invite(ctx context.Context, p *gatehouse.Principal, accountID int64, email, role string) (*manage.SentInvitation, error) {
	f.calls = append(f.calls, "invite "+email+" "+role)
	return &manage.SentInvitation{Link: "http://127.0.0.1:8080/ui/invitations/" + f.token}, nil
}

func (f *fakeTeam) UpdateUser(ctx context.Context, p *gatehouse.Principal, accountID, userID int64, patch manage.UserPatch) (*gatehouse.User, error) {
	if patch.Role != nil && *patch.Role == gatehouse.RoleOwner {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "your role may not manage owners")
	}
	if patch.Disabled != nil && *patch.Disabled {
		f.calls = append(f.calls, "disable")
		_, err := f.h.store.DeleteUserSessions(ctx, userID) // as the service does
		return nil, err
	}
	f.calls = append(f.calls, "update")
	return nil, nil
}

func (f *fakeTeam) RemoveUser(ctx context.Context, p *gatehouse.Principal, accountID, userID int64) error {
	return gatehouse.Errorf(gatehouse.ECONFLICT, "an account keeps at least one active owner")
}

func (f *fakeTeam) CancelInvitation(ctx context.Context, p *gatehouse.Principal, accountID, id int64) error {
	f.calls = append(f.calls, "cancel")
	return nil
}

func (f *fakeTeam) PendingInvitation(ctx context.Context, token string) (*gatehouse.Invitation, *gatehouse.Account, error) {
	if token != f.token || f.accepted != nil {
		return nil, nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "invitation not found")
	}
	return &gatehouse.Invitation{ID: 7, Email: f.h.email, Role: gatehouse.RoleDeveloper}, &gatehouse.Account{Name: "Acme"}, nil
}

func (f *fakeTeam) AcceptInvitation(ctx context.Context, token, pw, sourceIP string) (*gatehouse.User, error) {
	if _, _, err := f.PendingInvitation(ctx, token); err != nil {
		return nil, err
	}
	if len(pw) < 12 {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "a password needs at least 12 characters")
	}
	u, err := f.h.store.UserByEmail(ctx, f.h.email)
	f.accepted = u
	return u, err
}

func newTeamHarness(t *testing.T) (*harness, *fakeTeam) {
	f := &fakeTeam{token: "invitation-token-0123456789"}
	h := newHarness(t, func(c *Config) { c.Team = f })
	f.h = h
	return h, f
}

// csrf reads the session's form token from a page.
func (h *harness) csrf(path string) string {
	h.t.Helper()
	body := readBody(h.t, h.do(http.MethodGet, path, nil, ""))
	_, rest, ok := strings.Cut(body, `name="csrf" value="`)
	if !ok {
		h.t.Fatalf("%s has no form token", path)
	}
	tok, _, _ := strings.Cut(rest, `"`)
	return tok
}

func TestTeamPage(t *testing.T) {
	h, f := newTeamHarness(t)
	h.signIn(h.email, h.pw)
	resp := h.do(http.MethodGet, "/ui/team", nil, "")
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "viewer@acme.example") || !strings.Contains(body, "new@acme.example") {
		t.Fatalf("team page: status %d without the users and invitations", resp.StatusCode)
	}
	tok := h.csrf("/ui/team")

	resp = h.do(http.MethodPost, "/ui/team/invitations", url.Values{"csrf": {tok}, "email": {"v@acme.example"}, "role": {"viewer"}}, "")
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(body, "/ui/invitations/"+f.token) {
		t.Fatalf("invite: status %d without the link", resp.StatusCode)
	}
	if resp := h.do(http.MethodPost, "/ui/team/users/99/role", url.Values{"csrf": {tok}, "role": {"owner"}}, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a change the service forbids: status %d, want 403", resp.StatusCode)
	}
	if resp := h.do(http.MethodPost, "/ui/team/users/99/remove", url.Values{"csrf": {tok}}, ""); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a refused removal: status %d, want 303 back to the team page with the reason", resp.StatusCode)
	}
	if body := readBody(t, h.do(http.MethodGet, "/ui/team", nil, "")); !strings.Contains(body, "at least one active owner") {
		t.Error("the team page does not show why the removal was refused")
	}
	if resp := h.do(http.MethodPost, "/ui/team/users/99/role", url.Values{"role": {"admin"}}, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a change without the form token: status %d, want 403", resp.StatusCode)
	}
	want := []string{"invite v@acme.example viewer"}
	if strings.Join(f.calls, ";") != strings.Join(want, ";") {
		t.Errorf("service calls %q, want %q", f.calls, want)
	}
}

func TestDisablingAUserEndsTheirSessions(t *testing.T) {
	h, _ := newTeamHarness(t)
	h.signIn(h.email, h.pw)
	u, err := h.store.UserByEmail(context.Background(), h.email)
	if err != nil {
		t.Fatal(err)
	}
	tok := h.csrf("/ui/team")
	path := "/ui/team/users/" + itoa(u.ID) + "/disable"
	if resp := h.do(http.MethodPost, path, url.Values{"csrf": {tok}}, ""); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: status %d", resp.StatusCode)
	}
	if h.signedIn() {
		t.Error("the disabled user's session still works")
	}
}

func TestAcceptingAnInvitationSetsThePasswordAndSignsIn(t *testing.T) {
	h, f := newTeamHarness(t)
	if resp := h.do(http.MethodGet, "/ui/invitations/wrong-token", nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown invitation: status %d, want 404", resp.StatusCode)
	}
	path := "/ui/invitations/" + f.token
	body := readBody(t, h.do(http.MethodGet, path, nil, ""))
	if !strings.Contains(body, h.email) {
		t.Fatal("the invitation page does not name the invited address")
	}
	form := h.cookies[preSessionCookie].Value
	for _, tc := range []struct {
		name      string
		form      url.Values
		status    int
		signedIn  bool
		errorText string
	}{
		{"without the form token", url.Values{"password": {"long enough password"}, "password2": {"long enough password"}}, http.StatusForbidden, false, ""},
		{"with two different passwords", url.Values{"csrf": {form}, "password": {"long enough password"}, "password2": {"long enough passwort"}}, http.StatusBadRequest, false, "differ"},
		{"with a short password", url.Values{"csrf": {form}, "password": {"short"}, "password2": {"short"}}, http.StatusBadRequest, false, "12 characters"},
		{"with a good password", url.Values{"csrf": {form}, "password": {"long enough password"}, "password2": {"long enough password"}}, http.StatusSeeOther, true, ""},
		{"a second time", url.Values{"csrf": {form}, "password": {"long enough password"}, "password2": {"long enough password"}}, http.StatusNotFound, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do(http.MethodPost, path, tc.form, "")
			body := readBody(t, resp)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.errorText) {
				t.Fatalf("status %d, want %d with %q", resp.StatusCode, tc.status, tc.errorText)
			}
			if got := h.signedIn(); got != tc.signedIn {
				t.Errorf("signed in %v, want %v", got, tc.signedIn)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAnInvitationTokenNeverReachesTheLog(t *testing.T) {
	var logs strings.Builder
	f := &fakeTeam{token: "invitation-token-0123456789"}
	h := newHarness(t, func(c *Config) {
		c.Team = f
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	f.h = h
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/ui/invitations/"+f.token, strings.NewReader("password=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.d.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Fatalf("a cross-site POST: status %d, want 403", w.Code)
	}
	if !strings.Contains(logs.String(), "cross-origin request refused") || strings.Contains(logs.String(), f.token) {
		t.Fatalf("log %q: want the refusal without the token", logs.String())
	}
}
