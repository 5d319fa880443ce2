package manage

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

func ptr[T any](v T) *T { return &v }

// storedUser returns the user as stored, with the id of principal p.
func (f *fixture) storedUser(t *testing.T, p *gatehouse.Principal) *gatehouse.User {
	t.Helper()
	u, err := f.store.User(f.ctx, p.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLastOwnerRule(t *testing.T) {
	f := newFixture(t)
	owner := f.user(t, "owner@acme.example", "pw-owner-123", f.acme.ID, gatehouse.RoleOwner, false)
	ops := f.user(t, "ops@provider.example", "pw-ops-12345", 0, "", true)

	for _, tt := range []struct {
		name string
		run  func(p *gatehouse.Principal) error
	}{
		{"demoting", func(p *gatehouse.Principal) error {
			_, err := f.service.UpdateUser(f.ctx, p, f.acme.ID, owner.UserID, UserPatch{Role: ptr(gatehouse.RoleAdmin)})
			return err
		}},
		{"disabling", func(p *gatehouse.Principal) error {
			_, err := f.service.UpdateUser(f.ctx, p, f.acme.ID, owner.UserID, UserPatch{Disabled: ptr(true)})
			return err
		}},
		{"removing", func(p *gatehouse.Principal) error { return f.service.RemoveUser(f.ctx, p, f.acme.ID, owner.UserID) }},
	} {
		for _, who := range []*gatehouse.Principal{owner, ops, apiWriter()} {
			t.Run(tt.name+" the last active owner is refused, asked by "+who.Actor(), func(t *testing.T) {
				err := tt.run(who)
				wantCode(t, tt.name, err, gatehouse.ECONFLICT)
				if !strings.Contains(gatehouse.ErrorMessage(err), "last active owner") {
					t.Errorf("message %q does not say why", gatehouse.ErrorMessage(err))
				}
				if u := f.storedUser(t, owner); u.Role != gatehouse.RoleOwner || u.Disabled {
					t.Fatalf("the last owner was changed: %+v", u)
				}
			})
		}
	}
	t.Run("a disabled owner does not count: with one active owner, that one stays", func(t *testing.T) {
		second := f.user(t, "owner2@acme.example", "pw-owner2-12", f.acme.ID, gatehouse.RoleOwner, false)
		if _, err := f.service.UpdateUser(f.ctx, owner, f.acme.ID, second.UserID, UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		_, err := f.service.UpdateUser(f.ctx, owner, f.acme.ID, owner.UserID, UserPatch{Role: ptr(gatehouse.RoleViewer)})
		wantCode(t, "demote the one active owner", err, gatehouse.ECONFLICT)
	})
	t.Run("with a second active owner, an owner may step down", func(t *testing.T) {
		second := f.user(t, "owner3@acme.example", "pw-owner3-12", f.acme.ID, gatehouse.RoleOwner, false)
		if _, err := f.service.UpdateUser(f.ctx, owner, f.acme.ID, owner.UserID, UserPatch{Role: ptr(gatehouse.RoleDeveloper)}); err != nil {
			t.Fatal(err)
		}
		if u := f.storedUser(t, owner); u.Role != gatehouse.RoleDeveloper {
			t.Fatalf("role %s", u.Role)
		}
		// Now the second is the last active owner.
		err := f.service.RemoveUser(f.ctx, ops, f.acme.ID, second.UserID)
		wantCode(t, "remove the new last owner", err, gatehouse.ECONFLICT)
	})
}

func TestOnlyOwnersManageOwners(t *testing.T) {
	f := newFixture(t)
	owner := f.user(t, "owner@acme.example", "pw-owner-123", f.acme.ID, gatehouse.RoleOwner, false)
	admin := f.user(t, "admin@acme.example", "pw-admin-123", f.acme.ID, gatehouse.RoleAdmin, false)
	dev := f.user(t, "dev@acme.example", "pw-dev-12345", f.acme.ID, gatehouse.RoleDeveloper, false)
	viewer := f.user(t, "viewer@acme.example", "pw-viewer-12", f.acme.ID, gatehouse.RoleViewer, false)
	outsider := f.user(t, "owner@beta.example", "pw-beta-1234", f.beta.ID, gatehouse.RoleOwner, false)

	cases := []struct {
		name string
		p    *gatehouse.Principal
		run  func(p *gatehouse.Principal) error
		want string
	}{
		{"an admin changes a developer's role", admin, func(p *gatehouse.Principal) error {
			_, err := f.service.UpdateUser(f.ctx, p, f.acme.ID, dev.UserID, UserPatch{Role: ptr(gatehouse.RoleViewer)})
			return err
		}, ""},
		{"an admin may not make an owner", admin, func(p *gatehouse.Principal) error {
			_, err := f.service.UpdateUser(f.ctx, p, f.acme.ID, dev.UserID, UserPatch{Role: ptr(gatehouse.RoleOwner)})
			return err
		}, gatehouse.EFORBIDDEN},
		{"an admin may not disable an owner", admin, func(p *gatehouse.Principal) error {
			_, err := f.service.UpdateUser(f.ctx, p, f.acme.ID, owner.UserID, UserPatch{Disabled: ptr(true)})
			return err
		}, gatehouse.EFORBIDDEN},
		{"an admin may not invite an owner", admin, func(p *gatehouse.Principal) error {
			_, err := f.service.Invite(f.ctx, p, f.acme.ID, "boss@acme.example", gatehouse.RoleOwner)
			return err
		}, gatehouse.EFORBIDDEN},
		{"an admin invites a developer", admin, func(p *gatehouse.Principal) error {
			_, err := f.service.Invite(f.ctx, p, f.acme.ID, "new@acme.example", gatehouse.RoleDeveloper)
			return err
		}, ""},
		{"a developer may not invite", dev, func(p *gatehouse.Principal) error {
			_, err := f.service.Invite(f.ctx, p, f.acme.ID, "new2@acme.example", gatehouse.RoleViewer)
			return err
		}, gatehouse.EFORBIDDEN},
		{"a viewer may not remove anyone", viewer, func(p *gatehouse.Principal) error {
			return f.service.RemoveUser(f.ctx, p, f.acme.ID, dev.UserID)
		}, gatehouse.EFORBIDDEN},
		{"an owner makes another owner", owner, func(p *gatehouse.Principal) error {
			_, err := f.service.UpdateUser(f.ctx, p, f.acme.ID, admin.UserID, UserPatch{Role: ptr(gatehouse.RoleOwner)})
			return err
		}, ""},
		{"an owner of another account sees no user here", outsider, func(p *gatehouse.Principal) error {
			_, err := f.service.UpdateUser(f.ctx, p, 0, dev.UserID, UserPatch{Role: ptr(gatehouse.RoleViewer)})
			return err
		}, gatehouse.ENOTFOUND},
		{"an owner of another account cannot list this one's users", outsider, func(p *gatehouse.Principal) error {
			_, err := f.service.Users(f.ctx, p, gatehouse.UserFilter{AccountID: f.acme.ID})
			return err
		}, gatehouse.ENOTFOUND},
		{"a user named under the wrong account is not found", apiWriter(), func(p *gatehouse.Principal) error {
			_, err := f.service.User(f.ctx, p, f.beta.ID, dev.UserID)
			return err
		}, gatehouse.ENOTFOUND},
		{"operators are not users of an account", apiWriter(), func(p *gatehouse.Principal) error {
			ops := f.user(t, "ops@provider.example", "pw-ops-12345", 0, "", true)
			_, err := f.service.UpdateUser(f.ctx, p, 0, ops.UserID, UserPatch{Disabled: ptr(true)})
			return err
		}, gatehouse.ENOTFOUND},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.name, tt.run(tt.p), tt.want) })
	}
}

func TestInvitations(t *testing.T) {
	f := newFixture(t)
	owner := f.user(t, "owner@acme.example", "pw-owner-123", f.acme.ID, gatehouse.RoleOwner, false)

	sent, err := f.service.Invite(f.ctx, owner, f.acme.ID, "dev@acme.example", gatehouse.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	token, ok := strings.CutPrefix(sent.Link, "https://auth.example.com/ui/invitations/")
	if !ok || len(token) < 40 {
		t.Fatalf("link %q", sent.Link)
	}
	stored, err := f.store.Invitation(f.ctx, sent.Invitation.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored.TokenHash[:]), token) || stored.InvitedBy != "user:owner@acme.example" ||
		!stored.ExpiresAt.Equal(startTime.Add(InvitationLifetime)) {
		t.Fatalf("stored invitation %+v", stored)
	}
	if ev := f.audits(t, "invitation:"+itoa(sent.Invitation.ID)); len(ev) != 1 || ev[0].Action != "user.invite" || strings.Contains(ev[0].Detail, token) {
		t.Fatalf("audit %+v", ev)
	}

	t.Run("the link shows the pending invitation without signing in", func(t *testing.T) {
		inv, account, err := f.service.PendingInvitation(f.ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Email != "dev@acme.example" || account.Name != "Acme" {
			t.Fatalf("%+v %+v", inv, account)
		}
		_, _, err = f.service.PendingInvitation(f.ctx, token+"x")
		wantCode(t, "a wrong token", err, gatehouse.ENOTFOUND)
	})
	t.Run("a short password is refused and the invitation still works", func(t *testing.T) {
		_, err := f.service.AcceptInvitation(f.ctx, token, "short", "203.0.113.9")
		wantCode(t, "short password", err, gatehouse.EINVALID)
		if _, _, err := f.service.PendingInvitation(f.ctx, token); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("accepting creates the user with the role and works once", func(t *testing.T) {
		u, err := f.service.AcceptInvitation(f.ctx, token, "a long enough passphrase", "203.0.113.9")
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != gatehouse.RoleDeveloper || u.AccountID != f.acme.ID || u.Email != "dev@acme.example" {
			t.Fatalf("user %+v", u)
		}
		if _, err := f.service.VerifyPassword(f.ctx, "dev@acme.example", "a long enough passphrase"); err != nil {
			t.Fatalf("sign in with the chosen password: %v", err)
		}
		_, err = f.service.AcceptInvitation(f.ctx, token, "another long passphrase", "203.0.113.9")
		wantCode(t, "a second acceptance", err, gatehouse.ENOTFOUND)
		ev := f.audits(t, "user:"+itoa(u.ID))
		if len(ev) != 1 || ev[0].Action != "invitation.accept" || ev[0].Actor != "user:dev@acme.example" || ev[0].SourceIP != "203.0.113.9" {
			t.Fatalf("audit %+v", ev)
		}
	})
	t.Run("an invitation expires", func(t *testing.T) {
		sent, err := f.service.Invite(f.ctx, owner, f.acme.ID, "late@acme.example", gatehouse.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		f.advance(InvitationLifetime)
		defer f.advance(-InvitationLifetime)
		token := sent.Link[strings.LastIndex(sent.Link, "/")+1:]
		_, err = f.service.AcceptInvitation(f.ctx, token, "a long enough passphrase", "")
		wantCode(t, "an expired invitation", err, gatehouse.ENOTFOUND)
	})
	t.Run("inviting an existing user is a conflict; inviting again replaces the pending invitation", func(t *testing.T) {
		_, err := f.service.Invite(f.ctx, owner, f.acme.ID, "owner@acme.example", gatehouse.RoleViewer)
		wantCode(t, "invite an existing user", err, gatehouse.ECONFLICT)
		first, err := f.service.Invite(f.ctx, owner, f.acme.ID, "twice@acme.example", gatehouse.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.service.Invite(f.ctx, owner, f.acme.ID, "twice@acme.example", gatehouse.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = f.service.PendingInvitation(f.ctx, first.Link[strings.LastIndex(first.Link, "/")+1:])
		wantCode(t, "the replaced link", err, gatehouse.ENOTFOUND)
		list, err := f.service.Invitations(f.ctx, owner, f.acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, inv := range list {
			if inv.Email == "twice@acme.example" {
				n++
				if inv.ID != second.Invitation.ID {
					t.Fatalf("pending %+v, want the second", inv)
				}
			}
		}
		if n != 1 {
			t.Fatalf("%d pending invitations for one address", n)
		}
	})
	t.Run("a cancelled invitation's link stops working", func(t *testing.T) {
		sent, err := f.service.Invite(f.ctx, owner, f.acme.ID, "gone@acme.example", gatehouse.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.service.CancelInvitation(f.ctx, owner, f.acme.ID, sent.Invitation.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.service.PendingInvitation(f.ctx, sent.Link[strings.LastIndex(sent.Link, "/")+1:])
		wantCode(t, "a cancelled link", err, gatehouse.ENOTFOUND)
	})
	t.Run("the team shows users, pending invitations and what the principal may do", func(t *testing.T) {
		team, err := f.service.Team(f.ctx, owner, f.acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(team.Users) != 2 || !team.MayManageOwners || !team.MayManageUsers || len(team.Invitations) == 0 {
			t.Fatalf("team %+v", team)
		}
		dev := gatehouse.UserPrincipal(team.Users[1], "")
		team, err = f.service.Team(f.ctx, dev, f.acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		if team.MayManageUsers || team.MayManageOwners {
			t.Fatal("a developer may manage users")
		}
	})
}

type recordingMailer struct{ sent []InvitationEmail }

func (m *recordingMailer) SendInvitation(_ context.Context, e InvitationEmail) error {
	m.sent = append(m.sent, e)
	return nil
}

func TestAnInvitationIsEmailedWhenAMailerIsConfigured(t *testing.T) {
	f := newFixture(t)
	m := &recordingMailer{}
	s := New(Config{Store: f.store, Rand: f.service.rand, Now: f.clock, PublicURL: "https://auth.example.com/", Mailer: m})
	sent, err := s.Invite(f.ctx, apiWriter(), f.acme.ID, "dev@acme.example", gatehouse.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	if !sent.Emailed || len(m.sent) != 1 || m.sent[0].Link != sent.Link || m.sent[0].To != "dev@acme.example" || m.sent[0].AccountName != "Acme" {
		t.Fatalf("sent %+v, mails %+v", sent, m.sent)
	}
	if strings.Contains(sent.Link, "//ui") {
		t.Fatalf("link %q", sent.Link)
	}
}

func TestDisablingAUserEndsTheirSessions(t *testing.T) {
	f := newFixture(t)
	dev := f.user(t, "dev@acme.example", "pw-dev-12345", f.acme.ID, gatehouse.RoleDeveloper, false)
	sess := &gatehouse.Session{ID: "s1", UserID: dev.UserID, CreatedAt: startTime, LastSeenAt: startTime, ExpiresAt: startTime.Add(time.Hour)}
	if err := f.store.CreateSession(f.ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.UpdateUser(f.ctx, apiWriter(), f.acme.ID, dev.UserID, UserPatch{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store.Session(f.ctx, "s1"); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
		t.Fatalf("the disabled user's session survived: %v", err)
	}
	_, err := f.service.VerifyPassword(f.ctx, "dev@acme.example", "pw-dev-12345")
	wantCode(t, "sign in as a disabled user", err, gatehouse.EFORBIDDEN)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestOwnersDemotingEachOtherAtOnceLeaveAnOwner races two owners who
// demote each other, many times, on SQLite and on PostgreSQL: whatever the
// order, the account keeps an active owner.
func TestOwnersDemotingEachOtherAtOnceLeaveAnOwner(t *testing.T) {
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresSchema(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			f := newFixtureOn(t, db.dsn(t))
			a := f.user(t, "a@acme.example", "pw-of-owner-a", f.acme.ID, gatehouse.RoleOwner, false)
			b := f.user(t, "b@acme.example", "pw-of-owner-b", f.acme.ID, gatehouse.RoleOwner, false)
			for round := range 20 {
				var wg sync.WaitGroup
				start := make(chan struct{})
				errs := make([]error, 2)
				for i, pair := range [][2]*gatehouse.Principal{{a, b}, {b, a}} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, errs[i] = f.service.UpdateUser(f.ctx, pair[0], f.acme.ID, pair[1].UserID, UserPatch{Role: ptr(gatehouse.RoleAdmin)})
					}()
				}
				close(start)
				wg.Wait()
				n, err := f.store.CountActiveOwners(f.ctx, f.acme.ID)
				if err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					t.Fatalf("round %d: %d active owners after two owners demoted each other (errors %v, %v)", round, n, errs[0], errs[1])
				}
				// Make both owners again for the next round.
				for _, u := range []*gatehouse.Principal{a, b} {
					stored := f.storedUser(t, u)
					stored.Role = gatehouse.RoleOwner
					if err := f.store.UpdateUser(f.ctx, stored); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}
