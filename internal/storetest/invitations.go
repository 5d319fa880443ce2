package storetest

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

const userHash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

func testUserManagement(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	newUser := func(email string, account int64, role string) *gatehouse.User {
		return &gatehouse.User{Email: email, PasswordHash: userHash, AccountID: account, Role: role, CreatedAt: at(0)}
	}

	t.Run("users are found by id and listed per account in id order, page by page", func(t *testing.T) {
		f := newFixture(t, newStore)
		other := &gatehouse.Account{Name: "Other", CreatedAt: at(0)}
		must(t, "CreateAccount", f.store.CreateAccount(ctx, other))
		a1 := newUser("a1@acme.example", f.account.ID, gatehouse.RoleOwner)
		b1 := newUser("b1@other.example", other.ID, gatehouse.RoleOwner)
		a2 := newUser("a2@acme.example", f.account.ID, gatehouse.RoleViewer)
		for _, u := range []*gatehouse.User{a1, b1, a2} {
			must(t, "CreateUser", f.store.CreateUser(ctx, u))
		}
		got, err := f.store.User(ctx, a2.ID)
		must(t, "User", err)
		sameFields(t, "user", got, a2)
		_, err = f.store.User(ctx, a2.ID+100)
		wantCode(t, "User of an unknown id", err, gatehouse.ENOTFOUND)

		list, err := f.store.Users(ctx, gatehouse.UserFilter{AccountID: f.account.ID})
		must(t, "Users", err)
		if len(list) != 2 || list[0].ID != a1.ID || list[1].ID != a2.ID {
			t.Fatalf("users of the account: %+v", list)
		}
		page, err := f.store.Users(ctx, gatehouse.UserFilter{AfterID: a1.ID, Limit: 1})
		must(t, "Users page", err)
		if len(page) != 1 || page[0].ID != b1.ID {
			t.Fatalf("second page %+v, want b1", page)
		}
	})

	t.Run("UpdateUser changes role, disabled and password; DeleteUser removes the user", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := newUser("dev@acme.example", f.account.ID, gatehouse.RoleDeveloper)
		must(t, "CreateUser", f.store.CreateUser(ctx, u))
		u.Role, u.Disabled, u.PasswordHash = gatehouse.RoleAdmin, true, userHash+"x"
		must(t, "UpdateUser", f.store.UpdateUser(ctx, u))
		got, err := f.store.User(ctx, u.ID)
		must(t, "User", err)
		sameFields(t, "updated user", got, u)
		u.Role = "emperor"
		wantCode(t, "UpdateUser with a bad role", f.store.UpdateUser(ctx, u), gatehouse.EINVALID)

		must(t, "DeleteUser", f.store.DeleteUser(ctx, u.ID))
		_, err = f.store.User(ctx, u.ID)
		wantCode(t, "User after delete", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteUser twice", f.store.DeleteUser(ctx, u.ID), gatehouse.ENOTFOUND)
		u.Role = gatehouse.RoleAdmin
		wantCode(t, "UpdateUser of a deleted user", f.store.UpdateUser(ctx, u), gatehouse.ENOTFOUND)
	})

	t.Run("CountActiveOwners counts the account's owners who are not disabled", func(t *testing.T) {
		f := newFixture(t, newStore)
		other := &gatehouse.Account{Name: "Other", CreatedAt: at(0)}
		must(t, "CreateAccount", f.store.CreateAccount(ctx, other))
		owners := []*gatehouse.User{
			newUser("o1@acme.example", f.account.ID, gatehouse.RoleOwner),
			newUser("o2@acme.example", f.account.ID, gatehouse.RoleOwner),
			newUser("admin@acme.example", f.account.ID, gatehouse.RoleAdmin),
			newUser("o@other.example", other.ID, gatehouse.RoleOwner),
		}
		owners[1].Disabled = true
		for _, u := range owners {
			must(t, "CreateUser", f.store.CreateUser(ctx, u))
		}
		n, err := f.store.CountActiveOwners(ctx, f.account.ID)
		must(t, "CountActiveOwners", err)
		if n != 1 {
			t.Fatalf("%d active owners, want 1", n)
		}
	})

	t.Run("LockAccount inside a transaction holds, and an unknown account is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		err := f.store.InTx(ctx, func(tx gatehouse.Store) error { return tx.LockAccount(ctx, f.account.ID) })
		must(t, "LockAccount", err)
		err = f.store.InTx(ctx, func(tx gatehouse.Store) error { return tx.LockAccount(ctx, f.account.ID+99) })
		wantCode(t, "LockAccount of an unknown account", err, gatehouse.ENOTFOUND)
	})
}

func testInvitations(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	newInvitation := func(account int64, email, token string) *gatehouse.Invitation {
		return &gatehouse.Invitation{
			AccountID: account, Email: email, Role: gatehouse.RoleDeveloper, TokenHash: sha256.Sum256([]byte(token)),
			InvitedBy: "client:admin", CreatedAt: at(0), ExpiresAt: at(7 * 24 * time.Hour),
		}
	}

	t.Run("an invitation reads back by id and by token hash, and lists while pending", func(t *testing.T) {
		f := newFixture(t, newStore)
		inv := newInvitation(f.account.ID, "new@acme.example", "token-1")
		must(t, "CreateInvitation", f.store.CreateInvitation(ctx, inv))
		if inv.ID <= 0 {
			t.Fatalf("id %d", inv.ID)
		}
		got, err := f.store.Invitation(ctx, inv.ID)
		must(t, "Invitation", err)
		sameFields(t, "invitation", got, inv)
		got, err = f.store.InvitationByToken(ctx, sha256.Sum256([]byte("token-1")))
		must(t, "InvitationByToken", err)
		sameFields(t, "invitation by token", got, inv)
		_, err = f.store.InvitationByToken(ctx, sha256.Sum256([]byte("token-2")))
		wantCode(t, "InvitationByToken of another token", err, gatehouse.ENOTFOUND)

		list, err := f.store.Invitations(ctx, f.account.ID)
		must(t, "Invitations", err)
		if len(list) != 1 || list[0].ID != inv.ID {
			t.Fatalf("pending invitations %+v", list)
		}
	})

	t.Run("an invitation is accepted once, and then no longer listed", func(t *testing.T) {
		f := newFixture(t, newStore)
		inv := newInvitation(f.account.ID, "new@acme.example", "token-1")
		must(t, "CreateInvitation", f.store.CreateInvitation(ctx, inv))
		must(t, "MarkInvitationAccepted", f.store.MarkInvitationAccepted(ctx, inv.ID, at(time.Hour)))
		wantCode(t, "MarkInvitationAccepted twice", f.store.MarkInvitationAccepted(ctx, inv.ID, at(time.Hour)), gatehouse.ECONFLICT)
		wantCode(t, "MarkInvitationAccepted of an unknown one", f.store.MarkInvitationAccepted(ctx, inv.ID+9, at(time.Hour)), gatehouse.ENOTFOUND)
		got, err := f.store.Invitation(ctx, inv.ID)
		must(t, "Invitation", err)
		if !got.AcceptedAt.Equal(at(time.Hour)) || got.Pending(at(time.Hour)) {
			t.Fatalf("accepted at %v", got.AcceptedAt)
		}
		list, err := f.store.Invitations(ctx, f.account.ID)
		must(t, "Invitations", err)
		if len(list) != 0 {
			t.Fatalf("an accepted invitation is still listed: %+v", list[0])
		}
	})

	t.Run("bad invitations are refused: unknown account, repeated token, bad fields", func(t *testing.T) {
		f := newFixture(t, newStore)
		wantCode(t, "unknown account", f.store.CreateInvitation(ctx, newInvitation(f.account.ID+9, "x@acme.example", "t")), gatehouse.ENOTFOUND)
		must(t, "CreateInvitation", f.store.CreateInvitation(ctx, newInvitation(f.account.ID, "x@acme.example", "t")))
		wantCode(t, "repeated token", f.store.CreateInvitation(ctx, newInvitation(f.account.ID, "y@acme.example", "t")), gatehouse.ECONFLICT)
		bad := newInvitation(f.account.ID, "not an address", "u")
		wantCode(t, "bad email", f.store.CreateInvitation(ctx, bad), gatehouse.EINVALID)
		bad = newInvitation(f.account.ID, "z@acme.example", "v")
		bad.Role = "root"
		wantCode(t, "bad role", f.store.CreateInvitation(ctx, bad), gatehouse.EINVALID)
	})

	t.Run("a deleted invitation is gone", func(t *testing.T) {
		f := newFixture(t, newStore)
		inv := newInvitation(f.account.ID, "new@acme.example", "token-1")
		must(t, "CreateInvitation", f.store.CreateInvitation(ctx, inv))
		must(t, "DeleteInvitation", f.store.DeleteInvitation(ctx, inv.ID))
		_, err := f.store.Invitation(ctx, inv.ID)
		wantCode(t, "Invitation after delete", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteInvitation twice", f.store.DeleteInvitation(ctx, inv.ID), gatehouse.ENOTFOUND)
	})
}
