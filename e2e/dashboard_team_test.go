package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// TestDashboardInviteAViewer: an owner invites a viewer on the team page,
// the viewer accepts the link with a new password and is signed in, sees
// the team and the credentials without any way to change them, and forged
// POSTs (an invitation, a credential) with the viewer's own valid form
// token are refused with 403. Disabling the viewer ends their session.
func TestDashboardInviteAViewer(t *testing.T) {
	s := startServer(t, app.Config{})
	account, ownerEmail, ownerPW := s.newAccountUser(t, "Acme", gatehouse.RoleOwner)
	owner := newBrowser(t, s)
	if status := owner.signIn(ownerEmail, ownerPW); status != http.StatusOK {
		t.Fatalf("owner sign-in: %d", status)
	}
	if status := owner.open("/ui/team"); status != http.StatusOK || !strings.Contains(owner.text("h1"), "Acme") {
		t.Fatalf("team page: status %d, heading %q", status, owner.text("h1"))
	}
	owner.fill("#invite-email", "viola@acme.example", "#invite-role", "viewer")
	if status := owner.click("#invite-submit"); status != http.StatusOK {
		t.Fatalf("invite: status %d", status)
	}
	link := owner.text("#invitation-link")
	if !strings.HasPrefix(link, s.URL+"/ui/invitations/") {
		t.Fatalf("invitation link %q, want one under %s/ui/invitations/", link, s.URL)
	}
	owner.screenshot("team-invited")
	if owner.open("/ui/team"); !strings.Contains(owner.text("#invitations"), "viola@acme.example as viewer") {
		t.Fatalf("pending invitations %q do not list the new one", owner.text("#invitations"))
	}

	viewer := newBrowser(t, s)
	viewer.withoutJavaScript() // accepting is a plain form
	if status := viewer.open(link); status != http.StatusOK || viewer.text("#invited-email") != "viola@acme.example" {
		t.Fatalf("invitation page: status %d", status)
	}
	viewer.screenshot("invitation")
	viewer.fill("#new-password", "short", "#new-password2", "short")
	// The browser's own minlength check would stop this form; submit it as
	// a script would, to see the server's answer.
	if status := viewer.navigate(evalSubmit("form[action^='/ui/invitations/']")); status != http.StatusBadRequest {
		t.Fatalf("a short password: status %d, want 400", status)
	}
	const pw = "viola's long passphrase"
	viewer.fill("#new-password", pw, "#new-password2", pw)
	if status := viewer.click("#accept-submit"); status != http.StatusOK || viewer.text("h1") != "Overview" {
		t.Fatalf("accepting: status %d, page %q; want the overview, signed in", status, viewer.text("h1"))
	}
	if status := viewer.open(link); status != http.StatusNotFound {
		t.Fatalf("the used link: status %d, want 404", status)
	}

	// Signed in again with the chosen password, the viewer reads the team
	// but is offered no change and may not make one.
	viewer.open("/ui/")
	viewer.click("form[action='/ui/signout'] button")
	if status := viewer.signIn("viola@acme.example", pw); status != http.StatusOK {
		t.Fatalf("viewer sign-in with the chosen password: %d", status)
	}
	if status := viewer.open("/ui/team"); status != http.StatusOK || !strings.Contains(viewer.text("#users"), ownerEmail) {
		t.Fatalf("team page for the viewer: status %d", status)
	}
	if viewer.has("#invite-form") || viewer.has("form[action*='/role']") {
		t.Fatal("the team page offers a viewer changes")
	}
	token := viewer.formToken()
	status := s.post(t, "/ui/team/invitations", map[string]string{"csrf": token, "email": "mallory@acme.example", "role": "owner"}, viewer.cookies(), nil)
	if status != http.StatusForbidden {
		t.Fatalf("a viewer's forged invitation with a valid form token: status %d, want 403", status)
	}

	// Nor may the viewer create a credential: no form, and a forged POST
	// with the viewer's valid form token is refused.
	if status := viewer.open("/ui/env/sandbox/credentials"); status != http.StatusOK {
		t.Fatalf("credentials page for the viewer: status %d, want 200", status)
	}
	if viewer.has("#create-form") || viewer.has("#create-submit") {
		t.Fatal("the credentials page offers the viewer the create form")
	}
	viewer.screenshot("credentials-viewer")
	status = s.post(t, "/ui/env/sandbox/credentials", map[string]string{"csrf": viewer.formToken(), "name": "forged"}, viewer.cookies(), nil)
	if status != http.StatusForbidden {
		t.Fatalf("the viewer's forged create with a valid form token: status %d, want 403", status)
	}
	list, err := s.Admin.Clients(context.Background(), adminclient.ClientQuery{Environment: "sandbox", AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Fatalf("the account has %d credentials after the refused create, want 0", len(list.Items))
	}

	// The owner disables the viewer: the viewer's session ends at once.
	owner.open("/ui/team")
	id := owner.eval(`document.querySelector("tr[data-user='viola@acme.example'] form[action*='/disable']").action.match(/users\/(\d+)\//)[1]`)
	if _, err := strconv.Atoi(id); err != nil {
		t.Fatalf("no disable form for the viewer (%q)", id)
	}
	if status := owner.click("tr[data-user='viola@acme.example'] form[action*='/disable'] button"); status != http.StatusOK {
		t.Fatalf("disable: status %d", status)
	}
	if !strings.Contains(owner.text("tr[data-user='viola@acme.example']"), "disabled") {
		t.Fatal("the team page does not show the viewer disabled")
	}
	if viewer.open("/ui/team"); !viewer.has("#email") {
		t.Fatal("the disabled viewer's session still reaches the team page")
	}
}

// TestDashboardAnotherAccountsTeamIsOutOfReach: with a valid session of
// one account, asking for another account's team shows one's own, and
// changing another account's user with a valid form token is "not found".
func TestDashboardAnotherAccountsTeamIsOutOfReach(t *testing.T) {
	s := startServer(t, app.Config{})
	acme, acmeOwner, _ := s.newAccountUser(t, "Acme", gatehouse.RoleOwner)
	_, email, pw := s.newAccountUser(t, "Globex", gatehouse.RoleOwner)
	b := newBrowser(t, s)
	if status := b.signIn(email, pw); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}
	status := b.open("/ui/team?account=" + strconv.FormatInt(acme, 10))
	if status != http.StatusOK || strings.Contains(b.eval("document.body.innerText"), acmeOwner) || !strings.Contains(b.text("h1"), "Globex") {
		t.Fatalf("another account's team: status %d, heading %q; want one's own team without the other's users", status, b.text("h1"))
	}
	token := b.formToken()

	// The id of Acme's owner, as an operator sees it.
	op := newBrowser(t, s)
	op.signIn(operatorEmail, operatorPassword)
	if status := op.open("/ui/team?account=" + strconv.FormatInt(acme, 10)); status != http.StatusOK || !strings.Contains(op.text("#users"), acmeOwner) {
		t.Fatalf("an operator's view of Acme's team: status %d", status)
	}
	id := op.eval(`document.querySelector("tr[data-user='` + acmeOwner + `'] form[action*='/role']").action.match(/users\/(\d+)\//)[1]`)

	for _, path := range []string{"/ui/team/users/" + id + "/role", "/ui/team/users/" + id + "/disable", "/ui/team/users/" + id + "/remove"} {
		form := map[string]string{"csrf": token, "role": "viewer", "account": strconv.FormatInt(acme, 10)}
		if status := s.post(t, path+"?account="+strconv.FormatInt(acme, 10), form, b.cookies(), nil); status != http.StatusNotFound {
			t.Errorf("POST %s by another account's owner: status %d, want 404", path, status)
		}
	}
	if op.open("/ui/team?account=" + strconv.FormatInt(acme, 10)); !strings.Contains(op.text("tr[data-user='"+acmeOwner+"']"), "owner") ||
		strings.Contains(op.text("tr[data-user='"+acmeOwner+"']"), "disabled") {
		t.Fatal("Acme's owner was changed by another account's owner")
	}
}
