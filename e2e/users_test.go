package e2e

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// TestUserAPIEndToEnd invites a user through the admin API of a real
// server, opens the invitation page of the dashboard with the link, accepts
// the invitation and finds the user, the audit records and the last-owner
// rule in force.
func TestUserAPIEndToEnd(t *testing.T) {
	s := startServer(t, app.Config{})
	ctx := context.Background()
	account, err := s.Admin.CreateAccount(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	sent, err := s.Admin.InviteUser(ctx, account.ID, "owner@acme.example", "owner")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sent.Link, s.URL+"/ui/invitations/") {
		t.Fatalf("link %q does not start with the public URL", sent.Link)
	}
	resp, err := http.Get(sent.Link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "owner@acme.example") {
		t.Fatalf("invitation page: %d\n%.500s", resp.StatusCode, page)
	}

	token := sent.Link[strings.LastIndex(sent.Link, "/")+1:]
	u, err := s.Admin.AcceptInvitation(ctx, token, "a long enough passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.Logs.String(), token) {
		t.Fatal("the invitation token reached the log")
	}
	viewer := "viewer"
	_, err = s.Admin.UpdateUser(ctx, account.ID, u.ID, adminclient.UpdateUserRequest{Role: &viewer})
	if err == nil || !strings.Contains(err.Error(), "last active owner") {
		t.Fatalf("demoting the last owner: %v", err)
	}
	events, err := s.Admin.AuditEvents(ctx, adminclient.AuditQuery{Object: "user:" + strconv.FormatInt(u.ID, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(events.Items) != 1 || events.Items[0].Action != "invitation.accept" {
		t.Fatalf("audit %+v", events.Items)
	}
}
