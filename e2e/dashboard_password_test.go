package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// signedInAt reports whether b's session still opens the security page
// (a signed-out browser is sent to the sign-in form).
func (b *browser) signedInAt(path string) bool {
	b.t.Helper()
	b.open(path)
	return b.has("#change-password") && !b.has("#signin-submit")
}

func TestDashboardPasswordChangeEndsOtherSessions(t *testing.T) {
	s := startServer(t, app.Config{})
	email, pw, _ := dashboardAccount(t, s, "Passco")
	here, elsewhere := newBrowser(t, s), newBrowser(t, s)
	for _, b := range []*browser{here, elsewhere} {
		if status := b.signIn(email, pw); status != http.StatusOK {
			t.Fatalf("sign-in: status %d", status)
		}
	}
	const newPW = "a-new-password-for-passco"
	if status := here.open("/ui/account/security"); status != http.StatusOK || !here.has("#password-form") {
		t.Fatalf("security page: status %d, or no password form", status)
	}

	t.Run("a wrong current password is refused and changes nothing", func(t *testing.T) {
		here := here.in(t)
		here.fill("#current-password", "not-the-password", "#new-password", newPW, "#confirm-password", newPW)
		here.click("#change-password")
		if flash := here.text(".flash-error"); !strings.Contains(flash, "Wrong current password") {
			t.Fatalf("the page says %q", flash)
		}
	})
	t.Run("a confirmation that differs is refused", func(t *testing.T) {
		here := here.in(t)
		here.fill("#current-password", pw, "#new-password", newPW, "#confirm-password", newPW+"x")
		here.click("#change-password")
		if flash := here.text(".flash-error"); !strings.Contains(flash, "differ") {
			t.Fatalf("the page says %q", flash)
		}
	})
	t.Run("a short new password is refused with the rule", func(t *testing.T) {
		here := here.in(t)
		here.fill("#current-password", pw, "#new-password", "short", "#confirm-password", "short")
		here.click("#change-password")
		if flash := here.text(".flash-error"); !strings.Contains(flash, "12") {
			t.Fatalf("the page says %q", flash)
		}
	})
	if !elsewhere.signedInAt("/ui/account/security") {
		t.Fatal("a refused change signed the other browser out")
	}

	here.fill("#current-password", pw, "#new-password", newPW, "#confirm-password", newPW)
	here.click("#change-password")
	if flash := here.text(".flash-info"); !strings.Contains(flash, "password is changed") {
		t.Fatalf("after the change the page says %q", flash)
	}
	if !here.signedInAt("/ui/account/security") {
		t.Error("the browser that changed the password was signed out")
	}
	if elsewhere.signedInAt("/ui/account/security") {
		t.Error("the other browser is still signed in after the password change")
	}
	third := newBrowser(t, s)
	third.signIn(email, pw)
	if third.signedInAt("/ui/account/security") {
		t.Error("the old password still signs in")
	}
	if status := third.signIn(email, newPW); status != http.StatusOK || !third.signedInAt("/ui/account/security") {
		t.Errorf("the new password does not sign in (status %d)", status)
	}

	events, err := s.Admin.AuditEvents(context.Background(), adminclient.AuditQuery{Action: manage.ActionPasswordChange})
	if err != nil {
		t.Fatal(err)
	}
	if len(events.Items) != 1 || events.Items[0].Actor == "" || strings.Contains(events.Items[0].Detail, newPW) {
		t.Fatalf("audit events %+v, want one %s without the password", events, manage.ActionPasswordChange)
	}
}
