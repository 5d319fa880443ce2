package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testAccounts(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("a created account gets an id and reads back", func(t *testing.T) {
		s := newStore(t)
		a := &gatehouse.Account{Name: "Acme Debt Collection Ltd.", CreatedAt: at(time.Microsecond)}
		must(t, "CreateAccount", s.CreateAccount(ctx, a))
		if a.ID <= 0 {
			t.Fatalf("CreateAccount set ID %d, want a positive id", a.ID)
		}
		got, err := s.Account(ctx, a.ID)
		must(t, "Account", err)
		sameFields(t, "account", got, a)
	})

	t.Run("accounts get distinct increasing ids", func(t *testing.T) {
		s := newStore(t)
		var last int64
		for i := range 3 {
			a := &gatehouse.Account{Name: fmt.Sprintf("account %d", i)}
			must(t, "CreateAccount", s.CreateAccount(ctx, a))
			if a.ID <= last {
				t.Fatalf("account %d got id %d after %d", i, a.ID, last)
			}
			last = a.ID
		}
	})

	t.Run("a zero creation time is set to now at microsecond precision", func(t *testing.T) {
		s := newStore(t)
		before := time.Now().Add(-time.Second)
		a := &gatehouse.Account{Name: "Acme"}
		must(t, "CreateAccount", s.CreateAccount(ctx, a))
		if a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("CreatedAt is %v, want about now", a.CreatedAt)
		}
		if a.CreatedAt.Location() != time.UTC || a.CreatedAt.Nanosecond()%1000 != 0 {
			t.Errorf("CreatedAt is %v, want UTC with whole microseconds", a.CreatedAt)
		}
		got, err := s.Account(ctx, a.ID)
		must(t, "Account", err)
		sameFields(t, "account", got, a)
	})

	t.Run("times keep microseconds and drop nanoseconds", func(t *testing.T) {
		s := newStore(t)
		a := &gatehouse.Account{Name: "Acme", CreatedAt: at(789 * time.Nanosecond).In(time.FixedZone("CET", 3600))}
		must(t, "CreateAccount", s.CreateAccount(ctx, a))
		got, err := s.Account(ctx, a.ID)
		must(t, "Account", err)
		if want := at(0); got.CreatedAt != want {
			t.Errorf("CreatedAt read back as %v, want %v in UTC", got.CreatedAt, want)
		}
	})

	t.Run("an account given an id keeps it, a taken id conflicts, and later accounts get larger ids", func(t *testing.T) {
		s := newStore(t)
		first := &gatehouse.Account{Name: "first"}
		must(t, "CreateAccount", s.CreateAccount(ctx, first))
		moved := &gatehouse.Account{ID: first.ID + 40, Name: "moved", CreatedAt: at(time.Second)}
		must(t, "CreateAccount with an id", s.CreateAccount(ctx, moved))
		got, err := s.Account(ctx, first.ID+40)
		must(t, "Account", err)
		sameFields(t, "moved account", got, moved)
		wantCode(t, "CreateAccount with a taken id", s.CreateAccount(ctx, &gatehouse.Account{ID: first.ID, Name: "again"}), gatehouse.ECONFLICT)
		next := &gatehouse.Account{Name: "next"}
		must(t, "CreateAccount after", s.CreateAccount(ctx, next))
		if next.ID <= moved.ID {
			t.Errorf("the next account got id %d, want one above the given id %d", next.ID, moved.ID)
		}
		wantCode(t, "CreateAccount with a negative id", s.CreateAccount(ctx, &gatehouse.Account{ID: -3, Name: "neg"}), gatehouse.EINVALID)
	})

	t.Run("an unknown account is not found", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Account(ctx, 424242)
		wantCode(t, "Account", err, gatehouse.ENOTFOUND)
	})

	t.Run("an account without a name is rejected", func(t *testing.T) {
		s := newStore(t)
		wantCode(t, "CreateAccount", s.CreateAccount(ctx, &gatehouse.Account{Name: "  "}), gatehouse.EINVALID)
		list, err := s.Accounts(ctx, gatehouse.AccountFilter{})
		must(t, "Accounts", err)
		if len(list) != 0 {
			t.Errorf("Accounts: got %d, want none", len(list))
		}
	})

	t.Run("accounts page by id with AfterID and Limit", func(t *testing.T) {
		s := newStore(t)
		var ids []int64
		for i := range 5 {
			a := &gatehouse.Account{Name: fmt.Sprintf("account %d", i), CreatedAt: at(time.Duration(i) * time.Second)}
			must(t, "CreateAccount", s.CreateAccount(ctx, a))
			ids = append(ids, a.ID)
		}
		var seen []int64
		after := int64(0)
		for page := 0; ; page++ {
			list, err := s.Accounts(ctx, gatehouse.AccountFilter{AfterID: after, Limit: 2})
			must(t, "Accounts", err)
			if len(list) > 2 {
				t.Fatalf("page %d has %d accounts, want at most 2", page, len(list))
			}
			if len(list) == 0 {
				break
			}
			for _, a := range list {
				seen = append(seen, a.ID)
			}
			after = list[len(list)-1].ID
		}
		sameFields(t, "ids seen while paging", seen, ids)

		list, err := s.Accounts(ctx, gatehouse.AccountFilter{AfterID: ids[2]})
		must(t, "Accounts after the third", err)
		if len(list) != 2 {
			t.Fatalf("Accounts after the third: got %d accounts, want 2", len(list))
		}
		sameFields(t, "fourth account", list[0], &gatehouse.Account{ID: ids[3], Name: "account 3", CreatedAt: at(3 * time.Second)})
	})

	t.Run("a list without a limit returns 100 accounts", func(t *testing.T) {
		s := newStore(t)
		for i := range 101 {
			must(t, "CreateAccount", s.CreateAccount(ctx, &gatehouse.Account{Name: fmt.Sprintf("account %d", i)}))
		}
		list, err := s.Accounts(ctx, gatehouse.AccountFilter{})
		must(t, "Accounts", err)
		if len(list) != 100 {
			t.Errorf("got %d accounts, want the default page of 100", len(list))
		}
	})
}
