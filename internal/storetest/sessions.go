package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// newMember stores a developer of the fixture's account.
func (f *fixture) newMember(t *testing.T, email string) *gatehouse.User {
	t.Helper()
	u := &gatehouse.User{
		Email: email, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		AccountID: f.account.ID, Role: gatehouse.RoleDeveloper, CreatedAt: at(0),
	}
	must(t, "CreateUser", f.store.CreateUser(context.Background(), u))
	return u
}

func testSessions(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("a session reads back with its user, is touched and deleted", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := f.newMember(t, "dev@acme.example")
		s := &gatehouse.Session{ID: "hash-1", UserID: u.ID, CreatedAt: at(0), LastSeenAt: at(0),
			ExpiresAt: at(12 * time.Hour), SecondFactorPending: true}
		must(t, "CreateSession", f.store.CreateSession(ctx, s))
		got, user, err := f.store.Session(ctx, "hash-1")
		must(t, "Session", err)
		sameFields(t, "session", got, s)
		if user.ID != u.ID || user.Email != u.Email || user.AccountID != u.AccountID || user.Role != u.Role {
			t.Errorf("Session returned user %+v, want %+v", user, u)
		}
		must(t, "TouchSession", f.store.TouchSession(ctx, "hash-1", at(time.Minute)))
		must(t, "TouchSession backwards", f.store.TouchSession(ctx, "hash-1", at(time.Second)))
		got, _, err = f.store.Session(ctx, "hash-1")
		must(t, "Session", err)
		if !got.LastSeenAt.Equal(at(time.Minute)) {
			t.Errorf("LastSeenAt = %v, want %v (touching never moves it back)", got.LastSeenAt, at(time.Minute))
		}
		must(t, "DeleteSession", f.store.DeleteSession(ctx, "hash-1"))
		_, _, err = f.store.Session(ctx, "hash-1")
		wantCode(t, "Session after delete", err, gatehouse.ENOTFOUND)
		must(t, "DeleteSession twice", f.store.DeleteSession(ctx, "hash-1"))
	})

	t.Run("a session of an unknown user is not found and not stored", func(t *testing.T) {
		f := newFixture(t, newStore)
		err := f.store.CreateSession(ctx, &gatehouse.Session{ID: "x", UserID: 999, ExpiresAt: at(time.Hour)})
		wantCode(t, "CreateSession", err, gatehouse.ENOTFOUND)
	})

	t.Run("deleting a user's sessions ends all of them and no one else's", func(t *testing.T) {
		f := newFixture(t, newStore)
		a, b := f.newMember(t, "a@acme.example"), f.newMember(t, "b@acme.example")
		for i, u := range []*gatehouse.User{a, a, b} {
			must(t, "CreateSession", f.store.CreateSession(ctx, &gatehouse.Session{
				ID: fmt.Sprintf("s%d", i), UserID: u.ID, ExpiresAt: at(time.Hour)}))
		}
		n, err := f.store.DeleteUserSessions(ctx, a.ID)
		must(t, "DeleteUserSessions", err)
		if n != 2 {
			t.Errorf("DeleteUserSessions = %d, want 2", n)
		}
		for _, id := range []string{"s0", "s1"} {
			_, _, err := f.store.Session(ctx, id)
			wantCode(t, "Session "+id, err, gatehouse.ENOTFOUND)
		}
		_, _, err = f.store.Session(ctx, "s2")
		must(t, "the other user's session", err)
	})

	t.Run("expired sessions are deleted, live ones kept", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := f.newMember(t, "dev@acme.example")
		must(t, "old", f.store.CreateSession(ctx, &gatehouse.Session{ID: "old", UserID: u.ID, ExpiresAt: at(time.Hour)}))
		must(t, "new", f.store.CreateSession(ctx, &gatehouse.Session{ID: "new", UserID: u.ID, ExpiresAt: at(3 * time.Hour)}))
		must(t, "DeleteExpiredSessions", f.store.DeleteExpiredSessions(ctx, at(2*time.Hour)))
		_, _, err := f.store.Session(ctx, "old")
		wantCode(t, "expired session", err, gatehouse.ENOTFOUND)
		_, _, err = f.store.Session(ctx, "new")
		must(t, "live session", err)
	})
}

func testSecondFactors(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("enrolment is unconfirmed until a code confirms it with recovery codes", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := f.newMember(t, "dev@acme.example")
		_, err := f.store.SecondFactor(ctx, u.ID)
		wantCode(t, "SecondFactor before enrolment", err, gatehouse.ENOTFOUND)
		must(t, "PutSecondFactor", f.store.PutSecondFactor(ctx, &gatehouse.SecondFactor{UserID: u.ID, Secret: []byte("sealed"), CreatedAt: at(0)}))
		got, err := f.store.SecondFactor(ctx, u.ID)
		must(t, "SecondFactor", err)
		if got.Confirmed || string(got.Secret) != "sealed" || got.LastStep != 0 || !got.CreatedAt.Equal(at(0)) {
			t.Fatalf("SecondFactor = %+v, want the unconfirmed secret", got)
		}
		must(t, "ConfirmSecondFactor", f.store.ConfirmSecondFactor(ctx, u.ID, 100, []string{"h1", "h2"}))
		got, err = f.store.SecondFactor(ctx, u.ID)
		must(t, "SecondFactor", err)
		if !got.Confirmed || got.LastStep != 100 {
			t.Fatalf("after confirmation: %+v, want confirmed at step 100", got)
		}
		err = f.store.ConfirmSecondFactor(ctx, u.ID, 100, []string{"h3"})
		wantCode(t, "confirming with a used step", err, gatehouse.ECONFLICT)
		left, err := f.store.RecoveryCodesLeft(ctx, u.ID)
		must(t, "RecoveryCodesLeft", err)
		if left != 2 {
			t.Errorf("RecoveryCodesLeft = %d, want 2 (a refused confirmation changes nothing)", left)
		}
	})

	t.Run("each time step and each recovery code is accepted once", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := f.newMember(t, "dev@acme.example")
		must(t, "PutSecondFactor", f.store.PutSecondFactor(ctx, &gatehouse.SecondFactor{UserID: u.ID, Secret: []byte("s")}))
		must(t, "ConfirmSecondFactor", f.store.ConfirmSecondFactor(ctx, u.ID, 10, []string{"h1", "h2"}))
		for _, tc := range []struct {
			step int64
			want bool
		}{{10, false}, {9, false}, {11, true}, {11, false}, {13, true}} {
			ok, err := f.store.UseTOTPStep(ctx, u.ID, tc.step)
			must(t, "UseTOTPStep", err)
			if ok != tc.want {
				t.Errorf("UseTOTPStep(%d) = %v, want %v", tc.step, ok, tc.want)
			}
		}
		for _, tc := range []struct {
			hash string
			want bool
		}{{"h1", true}, {"h1", false}, {"nope", false}, {"h2", true}} {
			ok, err := f.store.UseRecoveryCode(ctx, u.ID, tc.hash, at(time.Minute))
			must(t, "UseRecoveryCode", err)
			if ok != tc.want {
				t.Errorf("UseRecoveryCode(%s) = %v, want %v", tc.hash, ok, tc.want)
			}
		}
		left, err := f.store.RecoveryCodesLeft(ctx, u.ID)
		must(t, "RecoveryCodesLeft", err)
		if left != 0 {
			t.Errorf("RecoveryCodesLeft = %d, want 0", left)
		}
	})

	t.Run("of concurrent uses of one code exactly one is accepted", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := f.newMember(t, "dev@acme.example")
		must(t, "PutSecondFactor", f.store.PutSecondFactor(ctx, &gatehouse.SecondFactor{UserID: u.ID, Secret: []byte("s")}))
		must(t, "ConfirmSecondFactor", f.store.ConfirmSecondFactor(ctx, u.ID, 1, nil))
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := f.store.UseTOTPStep(ctx, u.ID, 5)
				if err != nil {
					t.Errorf("UseTOTPStep: %v", err)
				}
				if ok {
					mu.Lock()
					accepted++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if accepted != 1 {
			t.Errorf("%d concurrent uses accepted, want 1", accepted)
		}
	})

	t.Run("a new enrolment replaces the old one and its recovery codes; delete removes both", func(t *testing.T) {
		f := newFixture(t, newStore)
		u := f.newMember(t, "dev@acme.example")
		must(t, "PutSecondFactor", f.store.PutSecondFactor(ctx, &gatehouse.SecondFactor{UserID: u.ID, Secret: []byte("one")}))
		must(t, "ConfirmSecondFactor", f.store.ConfirmSecondFactor(ctx, u.ID, 50, []string{"h1"}))
		must(t, "PutSecondFactor again", f.store.PutSecondFactor(ctx, &gatehouse.SecondFactor{UserID: u.ID, Secret: []byte("two")}))
		got, err := f.store.SecondFactor(ctx, u.ID)
		must(t, "SecondFactor", err)
		if got.Confirmed || string(got.Secret) != "two" || got.LastStep != 0 {
			t.Errorf("after re-enrolment: %+v, want the new unconfirmed secret", got)
		}
		if left, _ := f.store.RecoveryCodesLeft(ctx, u.ID); left != 0 {
			t.Errorf("RecoveryCodesLeft = %d after re-enrolment, want 0", left)
		}
		must(t, "DeleteSecondFactor", f.store.DeleteSecondFactor(ctx, u.ID))
		_, err = f.store.SecondFactor(ctx, u.ID)
		wantCode(t, "SecondFactor after delete", err, gatehouse.ENOTFOUND)
	})
}

func testSignInFailures(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	const window = 10 * time.Minute

	t.Run("failures count within a window and start over after it", func(t *testing.T) {
		s := newStore(t)
		for i, d := range []time.Duration{0, time.Minute, 9 * time.Minute} {
			n, start, err := s.AddSignInFailure(ctx, "email:a@b.example", at(d), window)
			must(t, "AddSignInFailure", err)
			if n != i+1 || !start.Equal(at(0)) {
				t.Fatalf("failure %d: count %d from %v, want %d from %v", i+1, n, start, i+1, at(0))
			}
		}
		n, start, err := s.SignInFailures(ctx, "email:a@b.example", at(9*time.Minute), window)
		must(t, "SignInFailures", err)
		if n != 3 || !start.Equal(at(0)) {
			t.Errorf("SignInFailures = %d from %v, want 3 from %v", n, start, at(0))
		}
		if n, _, _ := s.SignInFailures(ctx, "email:a@b.example", at(window), window); n != 0 {
			t.Errorf("SignInFailures after the window = %d, want 0", n)
		}
		n, start, err = s.AddSignInFailure(ctx, "email:a@b.example", at(window+time.Second), window)
		must(t, "AddSignInFailure", err)
		if n != 1 || !start.Equal(at(window+time.Second)) {
			t.Errorf("first failure of a new window: %d from %v, want 1 from %v", n, start, at(window+time.Second))
		}
		if n, _, _ := s.SignInFailures(ctx, "ip:192.0.2.1", at(0), window); n != 0 {
			t.Errorf("another subject has %d failures, want 0", n)
		}
	})

	t.Run("cleared failures are forgotten and old counters deleted", func(t *testing.T) {
		s := newStore(t)
		for _, subject := range []string{"a", "b"} {
			if _, _, err := s.AddSignInFailure(ctx, subject, at(0), window); err != nil {
				t.Fatal(err)
			}
		}
		must(t, "ClearSignInFailures", s.ClearSignInFailures(ctx, "a"))
		if n, _, _ := s.SignInFailures(ctx, "a", at(time.Second), window); n != 0 {
			t.Errorf("after clearing: %d failures, want 0", n)
		}
		must(t, "DeleteOldSignInFailures", s.DeleteOldSignInFailures(ctx, at(time.Second)))
		if n, _, _ := s.AddSignInFailure(ctx, "b", at(2*time.Second), window); n != 1 {
			t.Errorf("after deleting old counters: count %d, want 1", n)
		}
	})

	t.Run("concurrent failures are all counted", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := s.AddSignInFailure(ctx, "ip:198.51.100.7", at(0), window); err != nil {
					t.Errorf("AddSignInFailure: %v", err)
				}
			}()
		}
		wg.Wait()
		if n, _, _ := s.SignInFailures(ctx, "ip:198.51.100.7", at(time.Second), window); n != 10 {
			t.Errorf("%d failures counted, want 10", n)
		}
	})
}
