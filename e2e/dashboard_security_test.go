package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// newAccountUser creates an account and a user of it with role, and
// returns the user's email address and password.
func (s *server) newAccountUser(t *testing.T, account, role string) (int64, string, string) {
	t.Helper()
	a, err := s.Admin.CreateAccount(context.Background(), account)
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	email := fmt.Sprintf("%s@%s.example", role, strings.ToLower(account))
	return a.ID, email, s.createUser(t, email, a.ID, role)
}

func TestDashboardWrongPasswordsLockTheAccountThenBanTheAddress(t *testing.T) {
	cfg := app.Config{}
	cfg.Dashboard.Lockout.AccountFailures = 3
	cfg.Dashboard.Lockout.AddressFailures = 6
	s := startServer(t, cfg)
	_, email, pw := s.newAccountUser(t, "Acme", gatehouse.RoleDeveloper)
	_, otherEmail, otherPW := s.newAccountUser(t, "Globex", gatehouse.RoleDeveloper)
	b := newBrowser(t, s)

	for i := 1; i <= 2; i++ {
		if status := b.signIn(email, "wrong password"); status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: status %d, want 401", i, status)
		}
		if msg := b.text("#signin-error"); !strings.Contains(msg, "Wrong email address, password or code") {
			t.Fatalf("wrong password %d: message %q", i, msg)
		}
	}
	if status := b.signIn(email, "wrong password"); status != http.StatusUnauthorized || !strings.Contains(b.text("#signin-error"), "locked") {
		t.Fatalf("third wrong password: status %d, message %q; want 401 saying the account is locked", status, b.text("#signin-error"))
	}
	b.screenshot("signin-locked")
	if status := b.signIn(email, pw); status != http.StatusTooManyRequests || !strings.Contains(b.text("#signin-error"), "locked") {
		t.Fatalf("the right password while locked: status %d, want 429 and the lock message", status)
	}
	if status := b.signIn(otherEmail, otherPW); status != http.StatusOK {
		t.Fatalf("another user from the same address before its limit: status %d, want 200", status)
	}

	// Three more failures make six from this address: it is banned, for
	// every user, and the ban is the token endpoint's (operators see it).
	b2 := newBrowser(t, s)
	for i := range 3 {
		_, guessed, _ := s.newAccountUser(t, fmt.Sprintf("Initech%d", i), gatehouse.RoleViewer)
		b2.signIn(guessed, "guess")
	}
	if status := b2.signIn(otherEmail, otherPW); status != http.StatusTooManyRequests || !strings.Contains(b2.text("#signin-error"), "network") {
		t.Fatalf("after %d failures from one address: status %d, want 429 for the banned address", 6, status)
	}
	bans, err := s.adminFrom(t, "127.0.0.2").Bans(context.Background()) // the banned address is refused by the admin API too
	if err != nil {
		t.Fatal(err)
	}
	if len(bans) != 1 || bans[0].Subject != "127.0.0.1" || bans[0].Reason != "brute_force" {
		t.Fatalf("bans = %+v, want one brute_force ban of 127.0.0.1", bans)
	}
}

// TestDashboardTOTP enrols a second factor and signs in with TOTP and
// recovery codes, with JavaScript off throughout.
func TestDashboardTOTP(t *testing.T) {
	s := startServer(t, app.Config{})
	_, email, pw := s.newAccountUser(t, "Acme", gatehouse.RoleViewer)
	b := newBrowser(t, s)
	b.withoutJavaScript() // sign-in and enrolment are plain forms
	if status := b.signIn(email, pw); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}

	b.open("/ui/account/security")
	b.click("#totp-start")
	secret := b.text("#totp-secret")
	if !b.has(".qr-box svg") || !strings.HasPrefix(b.text("#totp-uri"), "otpauth://totp/") {
		t.Fatal("enrolment shows no QR code or otpauth URI")
	}
	b.screenshot("totp-enrol")
	b.fill("#totp-code", "000000")
	if status := b.click("#totp-confirm"); status != http.StatusBadRequest {
		t.Fatalf("confirming with a wrong code: status %d, want 400", status)
	}
	now, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.fill("#totp-code", now)
	if status := b.click("#totp-confirm"); status != http.StatusOK {
		t.Fatalf("confirming with the current code: status %d", status)
	}
	recovery := strings.Fields(b.text("#recovery-codes"))
	if len(recovery) != 10 {
		t.Fatalf("recovery codes %q, want 10", recovery)
	}
	b.screenshot("totp-recovery-codes")
	b.click("form[action='/ui/signout'] button")

	signInWithCode := func(code string) int {
		t.Helper()
		if status := b.signIn(email, pw); status != http.StatusOK || !b.has("#code") {
			t.Fatalf("password step with a second factor: status %d, want the code form", status)
		}
		b.fill("#code", code)
		return b.click("#code-submit")
	}
	// Between password and code the session reaches nothing but the
	// code form.
	b.signIn(email, pw)
	b.screenshot("signin-code")
	if status := b.open("/ui/account/security"); !b.has("#email") {
		t.Fatalf("a page before the code: status %d, want the sign-in form", status)
	}
	if status := signInWithCode("123456"); status != http.StatusUnauthorized {
		t.Fatalf("a wrong code: status %d, want 401", status)
	}
	if status := signInWithCode(now); status != http.StatusUnauthorized {
		t.Fatalf("the code used for enrolment again: status %d, want 401 (each code works once)", status)
	}
	next, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if status := signInWithCode(next); status != http.StatusOK || b.text("h1") != "Overview" {
		t.Fatalf("the next code: status %d, page %q; want the overview", status, b.text("h1"))
	}
	b.click("form[action='/ui/signout'] button")
	if status := signInWithCode(strings.ToLower(recovery[3])); status != http.StatusOK || b.text("h1") != "Overview" {
		t.Fatalf("a recovery code: status %d, want the overview", status)
	}
	b.open("/ui/account/security")
	if state := b.text("#totp-state"); !strings.Contains(state, "9 recovery codes left") {
		t.Errorf("security page says %q, want 9 recovery codes left", state)
	}
	b.click("form[action='/ui/signout'] button")
	if status := signInWithCode(recovery[3]); status != http.StatusUnauthorized {
		t.Fatalf("a used recovery code: status %d, want 401", status)
	}
}

func TestDashboardRefusesCrossOriginAndTokenlessPosts(t *testing.T) {
	s := startServer(t, app.Config{})
	b := newBrowser(t, s)
	if status := b.signIn(operatorEmail, operatorPassword); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}
	b.open("/ui/account/security")
	token := b.formToken()

	// Another origin (same host, another port) posts a form carrying even
	// the right CSRF token: the browser sends the session cookie
	// (SameSite=Lax allows it within a site), so only the cross-origin
	// check stands in the way.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/ui/signout/everywhere">`+
			`<input type="hidden" name="csrf" value="%s"><button id="go">Win a prize</button></form>`, s.URL, token)
	}))
	defer evil.Close()
	b.open(evil.URL)
	if status := b.click("#go"); status != http.StatusForbidden {
		t.Fatalf("cross-origin POST: status %d, want 403", status)
	}
	if status := b.open("/ui/account/security"); status != http.StatusOK || b.text("h1") != "Security" {
		t.Fatalf("after the refused cross-origin POST the session is gone (status %d, page %q)", status, b.text("h1"))
	}

	cookies := b.cookies()
	for _, tc := range []struct {
		name   string
		form   map[string]string
		header http.Header
	}{
		{"without a token", map[string]string{}, nil},
		{"with another session's token", map[string]string{"csrf": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, nil},
		{"with the token but from another site", map[string]string{"csrf": token}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
	} {
		t.Run("a POST "+tc.name+" is refused with 403", func(t *testing.T) {
			if status := s.post(t, "/ui/signout/everywhere", tc.form, cookies, tc.header); status != http.StatusForbidden {
				t.Errorf("status %d, want 403", status)
			}
		})
	}
	if status := b.open("/ui/account/security"); status != http.StatusOK || b.text("h1") != "Security" {
		t.Fatalf("after the refused POSTs the session is gone")
	}
	if status := s.post(t, "/ui/signout/everywhere", map[string]string{"csrf": token}, cookies, nil); status != http.StatusSeeOther {
		t.Fatalf("the same POST with the token from the same origin: status %d, want 303", status)
	}
}

func TestDashboardSignOutEverywhereEndsOtherSessions(t *testing.T) {
	s := startServer(t, app.Config{})
	laptop, phone := newBrowser(t, s), newBrowser(t, s)
	for _, b := range []*browser{laptop, phone} {
		if status := b.signIn(operatorEmail, operatorPassword); status != http.StatusOK {
			t.Fatalf("sign-in: %d", status)
		}
	}
	laptop.open("/ui/account/security")
	laptop.screenshot("security")
	laptop.click("#signout-everywhere")
	if !laptop.has("#email") || !strings.Contains(laptop.text(".flash"), "2 sessions ended") {
		t.Fatalf("after sign-out everywhere: want the sign-in page saying 2 sessions ended")
	}
	if phone.open("/ui/account/security"); !phone.has("#email") {
		t.Fatalf("the second session still reaches the security page, want the sign-in form")
	}
}

// TestDashboardReplicasShareSessionsAndFailureCounts runs two servers on
// one PostgreSQL schema: a session started on one works on the other,
// "sign out everywhere" on one ends it on both, and wrong passwords on
// either count towards one lock.
func TestDashboardReplicasShareSessionsAndFailureCounts(t *testing.T) {
	// Replicas share the database and the master key.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{Database: testenv.PostgresSchema(t), MasterKey: base64.StdEncoding.EncodeToString(key)}
	cfg.Dashboard.Lockout.AccountFailures = 3
	a := startServer(t, cfg)
	b := startServer(t, cfg)
	_, email, pw := a.newAccountUser(t, "Acme", gatehouse.RoleDeveloper)

	// Cookies belong to a host, not a port: the browser sends a's session
	// cookie to b, as it would to two replicas behind one name.
	br := newBrowser(t, a)
	if status := br.signIn(operatorEmail, operatorPassword); status != http.StatusOK {
		t.Fatalf("sign-in on a: %d", status)
	}
	if status := br.open(b.URL + "/ui/account/security"); status != http.StatusOK || br.text("h1") != "Security" {
		t.Fatalf("a's session on b: status %d, page %q; want the security page", status, br.text("h1"))
	}
	br.click("#signout-everywhere")
	if br.open(a.URL + "/ui/account/security"); !br.has("#email") {
		t.Fatal("after signing out everywhere on b, a still accepts the session")
	}

	guesser := newBrowser(t, a)
	guesser.signIn(email, "wrong 1")
	guesser.srv = b
	guesser.signIn(email, "wrong 2")
	guesser.signIn(email, "wrong 3")
	guesser.srv = a
	if status := guesser.signIn(email, pw); status != http.StatusTooManyRequests {
		t.Fatalf("the right password on a after three failures spread over a and b: status %d, want 429", status)
	}
}
