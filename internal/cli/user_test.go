package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

func TestUserCommands(t *testing.T) {
	clearEnv(t)
	srv := startAdminServer(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	admin := []string{"--server", srv.url}
	user := func(args ...string) []string { return append(append([]string{"user"}, args...), admin...) }
	var account adminclient.Account
	out, _ := mustRun(t, append([]string{"account", "create", "--name", "Acme", "--json"}, admin...)...)
	decodeJSON(t, out, &account)
	acct := fmt.Sprint(account.ID)
	api := adminclient.New(srv.url, "", nil)

	link := regexp.MustCompile(`(?:https?://\S+)?/ui/invitations/(\S+)`)
	t.Run("invite prints the link once, and the invited person accepts it", func(t *testing.T) {
		out, _ := mustRun(t, user("invite", "--account", acct, "--email", "owner@acme.example", "--role", "owner")...)
		m := link.FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "Invited owner@acme.example as owner") {
			t.Fatalf("output:\n%s", out)
		}
		if _, err := api.AcceptInvitation(context.Background(), m[1], "a long enough passphrase"); err != nil {
			t.Fatal(err)
		}
	})
	var devID int64
	t.Run("invite --json holds the link; list shows users and pending invitations", func(t *testing.T) {
		var sent adminclient.SentInvitation
		out, _ := mustRun(t, user("invite", "--account", acct, "--email", "dev@acme.example", "--role", "developer", "--json")...)
		decodeJSON(t, out, &sent)
		m := link.FindStringSubmatch(sent.Link)
		if m == nil || sent.Role != "developer" {
			t.Fatalf("invitation %+v", sent)
		}
		out, _ = mustRun(t, user("list", "--account", acct)...)
		if !strings.Contains(out, "owner@acme.example") || !strings.Contains(out, "Pending invitations:") || !strings.Contains(out, "dev@acme.example") {
			t.Fatalf("list:\n%s", out)
		}
		u, err := api.AcceptInvitation(context.Background(), m[1], "another long passphrase")
		if err != nil {
			t.Fatal(err)
		}
		devID = u.ID
		var list struct {
			Users       []adminclient.User       `json:"users"`
			Invitations []adminclient.Invitation `json:"invitations"`
		}
		out, _ = mustRun(t, user("list", "--account", acct, "--json")...)
		decodeJSON(t, out, &list)
		if len(list.Users) != 2 || len(list.Invitations) != 0 || list.Users[1].Role != "developer" {
			t.Fatalf("list %+v", list)
		}
	})
	dev := fmt.Sprint(devID)
	t.Run("update, disable, show and remove a user", func(t *testing.T) {
		var u adminclient.User
		out, _ := mustRun(t, user("update", "--account", acct, dev, "--role", "admin", "--json")...)
		decodeJSON(t, out, &u)
		if u.Role != "admin" || u.Disabled {
			t.Fatalf("updated %+v", u)
		}
		out, _ = mustRun(t, user("disable", "--account", acct, dev)...)
		if !strings.Contains(out, "disabled") {
			t.Fatalf("disable:\n%s", out)
		}
		out, _ = mustRun(t, user("show", "--account", acct, dev, "--json")...)
		decodeJSON(t, out, &u)
		if !u.Disabled || u.Role != "admin" {
			t.Fatalf("shown %+v", u)
		}
		out, _ = mustRun(t, user("remove", "--account", acct, dev)...)
		if !strings.Contains(out, "Removed user "+dev) {
			t.Fatalf("remove:\n%s", out)
		}
		if _, _, err := run(t, user("show", "--account", acct, dev)...); err == nil || !strings.Contains(err.Error(), "not_found") {
			t.Fatalf("show a removed user: %v", err)
		}
	})
	t.Run("the last owner cannot be disabled, and bad input is refused before any call", func(t *testing.T) {
		_, _, err := run(t, user("disable", "--account", acct, "1")...)
		if err == nil || !strings.Contains(err.Error(), "last active owner") {
			t.Fatalf("disable the last owner: %v", err)
		}
		for _, args := range [][]string{
			user("list"),
			user("show", "--account", acct, "x"),
			user("update", "--account", acct, "1"),
			user("invite", "--account", acct, "--email", "x@acme.example"),
		} {
			if _, _, err := run(t, args...); err == nil {
				t.Errorf("gatehouse %s succeeded", strings.Join(args, " "))
			}
		}
	})
}
