package adminapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

func TestUserAPI(t *testing.T) {
	f := newFixture(t)
	var account wire.Account
	decode(t, f.must(t, http.StatusCreated, "POST", "/admin/v1/accounts", writeToken, `{"name":"Acme"}`), &account)
	users := fmt.Sprintf("/admin/v1/accounts/%d/users", account.ID)

	invite := func(t *testing.T, email, role string) wire.SentInvitation {
		t.Helper()
		var sent wire.SentInvitation
		decode(t, f.must(t, http.StatusCreated, "POST", users, writeToken, fmt.Sprintf(`{"email":%q,"role":%q}`, email, role)), &sent)
		return sent
	}
	accept := func(t *testing.T, link, pw string) *wireUserOrError {
		t.Helper()
		token := link[strings.LastIndex(link, "/")+1:]
		rec := f.do(t, "POST", "/admin/v1/invitations/accept", "", fmt.Sprintf(`{"token":%q,"password":%q}`, token, pw))
		return &wireUserOrError{rec.Code, rec.Body.String()}
	}

	owner := invite(t, "owner@acme.example", "owner")
	if !strings.HasSuffix(strings.TrimSuffix(owner.Link, owner.Link[strings.LastIndex(owner.Link, "/"):]), "/ui/invitations") ||
		owner.Email != "owner@acme.example" || owner.Role != "owner" || owner.InvitedBy != "client:admin-client" || owner.Emailed {
		t.Fatalf("invitation %+v", owner)
	}
	var pending wire.InvitationList
	decode(t, f.must(t, http.StatusOK, "GET", fmt.Sprintf("/admin/v1/accounts/%d/invitations", account.ID), readToken, ""), &pending)
	if len(pending.Items) != 1 || pending.Items[0].ID != owner.ID {
		t.Fatalf("pending %+v", pending)
	}

	t.Run("accepting needs no credential, a long enough password, and works once", func(t *testing.T) {
		if got := accept(t, owner.Link, "short"); got.status != http.StatusBadRequest {
			t.Fatalf("short password: %d %s", got.status, got.body)
		}
		if got := accept(t, owner.Link, "a long enough passphrase"); got.status != http.StatusCreated || !strings.Contains(got.body, `"role":"owner"`) {
			t.Fatalf("accept: %d %s", got.status, got.body)
		}
		if got := accept(t, owner.Link, "a long enough passphrase"); got.status != http.StatusNotFound {
			t.Fatalf("second accept: %d %s", got.status, got.body)
		}
	})
	var page wire.UserPage
	decode(t, f.must(t, http.StatusOK, "GET", users, readToken, ""), &page)
	if len(page.Items) != 1 || page.Items[0].Email != "owner@acme.example" || strings.Contains(fmt.Sprint(page), "argon2") {
		t.Fatalf("users %+v", page)
	}
	ownerPath := fmt.Sprintf("%s/%d", users, page.Items[0].ID)

	t.Run("the last active owner cannot be demoted, disabled or removed", func(t *testing.T) {
		checkError(t, f.do(t, "PATCH", ownerPath, writeToken, `{"role":"admin"}`), http.StatusConflict, "conflict")
		checkError(t, f.do(t, "PATCH", ownerPath, writeToken, `{"disabled":true}`), http.StatusConflict, "conflict")
		checkError(t, f.do(t, "DELETE", ownerPath, writeToken, ""), http.StatusConflict, "conflict")
	})
	t.Run("a second user can be changed, disabled and removed", func(t *testing.T) {
		dev := invite(t, "dev@acme.example", "developer")
		got := accept(t, dev.Link, "another long passphrase")
		if got.status != http.StatusCreated {
			t.Fatalf("accept: %d %s", got.status, got.body)
		}
		var u wire.User
		decode(t, f.must(t, http.StatusOK, "GET", users, readToken, ""), &page)
		devPath := fmt.Sprintf("%s/%d", users, page.Items[1].ID)
		decode(t, f.must(t, http.StatusOK, "PATCH", devPath, writeToken, `{"role":"viewer","disabled":true}`), &u)
		if u.Role != "viewer" || !u.Disabled {
			t.Fatalf("updated %+v", u)
		}
		decode(t, f.must(t, http.StatusOK, "GET", devPath, readToken, ""), &u)
		if u.Role != "viewer" {
			t.Fatalf("stored %+v", u)
		}
		rec := f.do(t, "DELETE", devPath, writeToken, "")
		if rec.Code != http.StatusNoContent {
			t.Fatalf("delete: %d %s", rec.Code, rec.Body)
		}
		checkError(t, f.do(t, "GET", devPath, readToken, ""), http.StatusNotFound, "not_found")
	})
	t.Run("bad requests and missing scopes are refused", func(t *testing.T) {
		checkError(t, f.do(t, "POST", users, readToken, `{"email":"x@acme.example","role":"viewer"}`), http.StatusForbidden, "forbidden")
		checkError(t, f.do(t, "POST", users, writeToken, `{"email":"not an address","role":"viewer"}`), http.StatusBadRequest, "invalid")
		checkError(t, f.do(t, "POST", users, writeToken, `{"email":"x@acme.example","role":"king"}`), http.StatusBadRequest, "invalid")
		checkError(t, f.do(t, "POST", "/admin/v1/accounts/999/users", writeToken, `{"email":"x@acme.example","role":"viewer"}`), http.StatusNotFound, "not_found")
		checkError(t, f.do(t, "PATCH", ownerPath, writeToken, `{"role":"root"}`), http.StatusBadRequest, "invalid")
		checkError(t, f.do(t, "GET", "/admin/v1/accounts/999/users/1", readToken, ""), http.StatusNotFound, "not_found")
		checkError(t, f.do(t, "POST", "/admin/v1/invitations/accept", "", `{"token":"nope","password":"a long enough passphrase"}`), http.StatusNotFound, "not_found")
	})
	t.Run("a cancelled invitation's link stops working", func(t *testing.T) {
		inv := invite(t, "late@acme.example", "viewer")
		rec := f.do(t, "DELETE", fmt.Sprintf("/admin/v1/accounts/%d/invitations/%d", account.ID, inv.ID), writeToken, "")
		if rec.Code != http.StatusNoContent {
			t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
		}
		if got := accept(t, inv.Link, "a long enough passphrase"); got.status != http.StatusNotFound {
			t.Fatalf("accept a cancelled invitation: %d", got.status)
		}
	})
}

type wireUserOrError struct {
	status int
	body   string
}
