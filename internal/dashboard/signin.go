package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/password"
)

// signInData is the data of the sign-in and code pages.
type signInData struct {
	Email   string
	Next    string
	Message string // why the last attempt failed
}

// signInForm shows the sign-in form; a signed-in user goes home.
func (d *Dashboard) signInForm(w http.ResponseWriter, r *http.Request) {
	if c, err := d.caller(r); err == nil && !c.Session.SecondFactorPending {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	d.renderSignIn(w, r, http.StatusOK, signInData{Next: r.URL.Query().Get("next")})
}

func (d *Dashboard) renderSignIn(w http.ResponseWriter, r *http.Request, status int, data signInData) {
	tok, err := d.preSessionToken(w, r)
	if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	data.Next = safeNext(data.Next)
	d.render(w, r, nil, status, "signin", &Page{Title: "Sign in", CSRF: tok, Data: data})
}

// signIn checks an email address and password. Guessing is limited three
// ways: a banned address is refused before anything is checked; an email
// address with Lockout.AccountFailures recent failures is locked (the
// password is not even checked) until its window ends; an address with
// Lockout.AddressFailures recent failures is banned like a token-endpoint
// brute-forcer. An unknown address costs the same argon2id work as a wrong
// password and gets the same answer.
func (d *Dashboard) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !checkPreSessionToken(r) {
		d.errorPage(w, r, nil, http.StatusForbidden, "This form has expired. Go back, reload the page and try again.")
		return
	}
	ctx := r.Context()
	data := signInData{Email: strings.TrimSpace(r.PostFormValue("email")), Next: r.PostFormValue("next")}
	if locked, status, msg := d.refusedBeforeCheck(ctx, w, r, data.Email); locked {
		d.audit(ctx, r, nil, actionSignIn, gatehouse.OutcomeDenied, "locked or banned: not checked")
		data.Message = msg
		d.renderSignIn(w, r, status, data)
		return
	}
	u, ok, err := d.checkPassword(ctx, data.Email, r.PostFormValue("password"))
	if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	if !ok {
		data.Message = d.countFailure(ctx, w, r, data.Email)
		d.audit(ctx, r, u, actionSignIn, gatehouse.OutcomeFailure, "wrong password")
		d.renderSignIn(w, r, http.StatusUnauthorized, data)
		return
	}
	if u.Disabled {
		d.audit(ctx, r, u, actionSignIn, gatehouse.OutcomeDenied, "user disabled")
		data.Message = "This user is disabled. Ask an owner or admin of your account."
		d.renderSignIn(w, r, http.StatusForbidden, data)
		return
	}
	if err := d.store.ClearSignInFailures(ctx, emailSubject(u.Email)); err != nil {
		d.logger.Warn("dashboard: clear sign-in failures", "err", err)
	}
	pending, err := d.hasSecondFactor(ctx, u.ID)
	if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	d.endSession(w, r) // never reuse a session across a sign-in
	if err := d.startSession(ctx, w, u, pending); err != nil {
		d.fail(w, r, nil, err)
		return
	}
	d.logger.Info("dashboard: password accepted", "user_id", u.ID, "second_factor", pending, "ip", clientIP(r).String())
	if !pending {
		d.audit(ctx, r, u, actionSignIn, gatehouse.OutcomeSuccess, "password")
	}
	if pending {
		http.Redirect(w, r, "/ui/signin/code?next="+url.QueryEscape(safeNext(data.Next)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, safeNext(data.Next), http.StatusSeeOther)
}

// checkPassword returns the user with email and whether password is
// theirs. An unknown user is checked against a dummy hash, so it takes as
// long as a wrong password.
func (d *Dashboard) checkPassword(ctx context.Context, email, pw string) (*gatehouse.User, bool, error) {
	u, err := d.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		return nil, false, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	} else if hash, err = d.dummyHash(); err != nil {
		return nil, false, err
	}
	ok, err := password.Verify(pw, hash)
	if err != nil {
		d.logger.Warn("dashboard: unreadable password hash", "err", err)
		return nil, false, nil
	}
	return u, ok && u != nil && pw != "", nil
}

func (d *Dashboard) dummyHash() (string, error) {
	d.once.Do(func() { d.dummy, d.dummyErr = password.Hash("not a password of anyone", d.rand) })
	return d.dummy, d.dummyErr
}

// refusedBeforeCheck reports whether a sign-in (or code) attempt is
// refused without checking it: the address is banned, or the email address
// is locked. It sets Retry-After.
func (d *Dashboard) refusedBeforeCheck(ctx context.Context, w http.ResponseWriter, r *http.Request, email string) (bool, int, string) {
	if d.cfg.Bans != nil {
		ban, err := d.cfg.Bans.Check(ctx, clientIP(r))
		if err != nil {
			d.logger.Warn("dashboard: check ban list", "err", err)
		} else if ban.Active(d.now()) {
			setRetryAfter(w, ban.ExpiresAt.Sub(d.now()))
			return true, http.StatusTooManyRequests, "Too many failed attempts came from your network. Try again later."
		}
	}
	if email == "" {
		return false, 0, ""
	}
	l := d.cfg.Lockout
	n, start, err := d.store.SignInFailures(ctx, emailSubject(email), d.now(), l.Window)
	if err != nil {
		d.logger.Warn("dashboard: read sign-in failures", "err", err)
		return false, 0, ""
	}
	if n >= l.AccountFailures {
		wait := start.Add(l.Window).Sub(d.now())
		setRetryAfter(w, wait)
		return true, http.StatusTooManyRequests, lockedMessage(wait)
	}
	return false, 0, ""
}

func lockedMessage(wait time.Duration) string {
	return fmt.Sprintf("This account is locked after too many failed attempts. Try again in %d minutes.",
		int(wait.Minutes())+1)
}

// countFailure counts a failed attempt against the email address and the
// client address, bans the address when it reached its limit, and returns
// the message to show.
func (d *Dashboard) countFailure(ctx context.Context, w http.ResponseWriter, r *http.Request, email string) string {
	l, now, ip := d.cfg.Lockout, d.now(), clientIP(r)
	d.logger.Info("dashboard: sign-in failed", "ip", ip.String())
	msg := "Wrong email address, password or code."
	if email != "" {
		n, start, err := d.store.AddSignInFailure(ctx, emailSubject(email), now, l.Window)
		if err != nil {
			d.logger.Warn("dashboard: count sign-in failure", "err", err)
		} else if n >= l.AccountFailures {
			msg = lockedMessage(start.Add(l.Window).Sub(now))
		}
	}
	n, _, err := d.store.AddSignInFailure(ctx, addressSubject(ip), now, l.Window)
	if err != nil {
		d.logger.Warn("dashboard: count sign-in failure", "err", err)
	} else if n >= l.AddressFailures && d.cfg.Bans != nil && ip.IsValid() {
		ban := bans.Ban{Subject: bans.SubjectOf(ip), Reason: bans.ReasonBruteForce, CreatedAt: now, ExpiresAt: now.Add(l.BanDuration)}
		if err := d.cfg.Bans.Add(ctx, ban); err != nil {
			d.logger.Warn("dashboard: ban address", "err", err)
		} else {
			d.logger.Warn("dashboard: address banned after failed sign-ins", "subject", ban.Subject, "failures", n)
		}
	}
	return msg
}

func emailSubject(email string) string    { return "email:" + strings.ToLower(strings.TrimSpace(email)) }
func addressSubject(ip netip.Addr) string { return "ip:" + bans.SubjectOf(ip) }
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(d.Seconds()+0.999))))
}
