package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testUsers(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	const hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

	t.Run("a member and an operator read back by email", func(t *testing.T) {
		f := newFixture(t, newStore)
		member := &gatehouse.User{
			Email: "dev@acme.example", PasswordHash: hash, AccountID: f.account.ID,
			Role: gatehouse.RoleDeveloper, Disabled: true, CreatedAt: at(time.Microsecond),
		}
		operator := &gatehouse.User{
			Email: "ops@provider.example", PasswordHash: hash + "2", Operator: true, CreatedAt: at(time.Hour),
		}
		for _, u := range []*gatehouse.User{member, operator} {
			must(t, "CreateUser "+u.Email, f.store.CreateUser(ctx, u))
			if u.ID <= 0 {
				t.Fatalf("CreateUser set ID %d, want a positive id", u.ID)
			}
		}
		if member.ID == operator.ID {
			t.Fatalf("two users got id %d", member.ID)
		}
		for _, want := range []*gatehouse.User{member, operator} {
			got, err := f.store.UserByEmail(ctx, want.Email)
			must(t, "UserByEmail "+want.Email, err)
			sameFields(t, "user "+want.Email, got, want)
		}
	})

	t.Run("a zero creation time is set to now", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := &gatehouse.User{Email: "ops@provider.example", PasswordHash: hash, Operator: true}
		must(t, "CreateUser", f.store.CreateUser(ctx, u))
		if u.CreatedAt.IsZero() {
			t.Errorf("CreatedAt is still zero")
		}
	})

	t.Run("email addresses are unique whatever their case", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := &gatehouse.User{Email: "Dev@Acme.example", PasswordHash: hash, AccountID: f.account.ID, Role: gatehouse.RoleOwner}
		must(t, "CreateUser", f.store.CreateUser(ctx, u))
		for _, email := range []string{"Dev@Acme.example", "dev@acme.example"} {
			dup := &gatehouse.User{Email: email, PasswordHash: hash, Operator: true}
			wantCode(t, "CreateUser "+email, f.store.CreateUser(ctx, dup), gatehouse.ECONFLICT)
		}
		got, err := f.store.UserByEmail(ctx, "DEV@acme.EXAMPLE")
		must(t, "UserByEmail in another case", err)
		if got.ID != u.ID || got.Email != "Dev@Acme.example" {
			t.Errorf("UserByEmail in another case found %d %s, want %d with the email as entered", got.ID, got.Email, u.ID)
		}
	})

	t.Run("an unknown email is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		_, err := f.store.UserByEmail(ctx, "nobody@acme.example")
		wantCode(t, "UserByEmail", err, gatehouse.ENOTFOUND)
	})

	t.Run("an invalid user is rejected", func(t *testing.T) {
		f := newFixture(t, newStore)
		cases := map[string]*gatehouse.User{
			"bad email":         {Email: "not an email", PasswordHash: hash, Operator: true},
			"no password":       {Email: "a@b.example", Operator: true},
			"member without":    {Email: "a@b.example", PasswordHash: hash, Role: gatehouse.RoleViewer},
			"member, bad role":  {Email: "a@b.example", PasswordHash: hash, AccountID: f.account.ID, Role: "god"},
			"named email":       {Email: "A <a@b.example>", PasswordHash: hash, Operator: true},
			"member, no role":   {Email: "a@b.example", PasswordHash: hash, AccountID: f.account.ID},
			"empty email":       {PasswordHash: hash, Operator: true},
			"whitespace email":  {Email: " a@b.example", PasswordHash: hash, Operator: true},
			"member of nothing": {Email: "a@b.example", PasswordHash: hash, AccountID: -1, Role: gatehouse.RoleViewer},
		}
		for name, u := range cases {
			wantCode(t, "CreateUser with "+name, f.store.CreateUser(ctx, u), gatehouse.EINVALID)
		}
	})

	t.Run("a user of an unknown account is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := &gatehouse.User{Email: "a@b.example", PasswordHash: hash, AccountID: f.account.ID + 1000, Role: gatehouse.RoleViewer}
		wantCode(t, "CreateUser", f.store.CreateUser(ctx, u), gatehouse.ENOTFOUND)
	})
}
