package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// Caller is the signed-in user behind a request, handed to every page
// handler registered with signedIn.
type Caller struct {
	User    *gatehouse.User
	Session *gatehouse.Session
	// CSRF is the token every form of this session must carry in its
	// "csrf" field; render puts it in the page data.
	CSRF string
}

// sessionID is what the store knows a session token by.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// startSession creates a session for u and sets its cookie. A pending
// session (right password, TOTP code still owed) reaches only the code form.
func (d *Dashboard) startSession(ctx context.Context, w http.ResponseWriter, u *gatehouse.User, pending bool) error {
	token, err := d.randomToken()
	if err != nil {
		return err
	}
	now := d.now()
	s := &gatehouse.Session{
		ID: sessionID(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(d.cfg.AbsoluteTimeout), SecondFactorPending: pending,
	}
	if pending {
		// Long enough to type a code, no longer.
		s.ExpiresAt = now.Add(5 * time.Minute)
	}
	if err := d.store.CreateSession(ctx, s); err != nil {
		return err
	}
	http.SetCookie(w, d.cookie(d.sessionCookieName(), token, 0))
	return nil
}

// endSession deletes the request's session, if any, and its cookie.
func (d *Dashboard) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(d.sessionCookieName()); err == nil && c.Value != "" {
		if err := d.store.DeleteSession(r.Context(), sessionID(c.Value)); err != nil {
			d.logger.Warn("dashboard: end session", "err", err)
		}
	}
	http.SetCookie(w, d.cookie(d.sessionCookieName(), "", -1))
}

// errNoSession means the request has no live session.
var errNoSession = errors.New("no live session")

// caller loads the request's session: errNoSession when there is no
// cookie, the session is unknown, expired, idle too long, or its user is
// disabled. A live session is touched at most once a minute.
func (d *Dashboard) caller(r *http.Request) (*Caller, error) {
	c, err := r.Cookie(d.sessionCookieName())
	if err != nil || c.Value == "" {
		return nil, errNoSession
	}
	s, u, err := d.store.Session(r.Context(), sessionID(c.Value))
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errNoSession
	} else if err != nil {
		return nil, err
	}
	now := d.now()
	if !now.Before(s.ExpiresAt) || !now.Before(s.LastSeenAt.Add(d.cfg.IdleTimeout)) || u.Disabled {
		if err := d.store.DeleteSession(r.Context(), s.ID); err != nil {
			d.logger.Warn("dashboard: delete ended session", "err", err)
		}
		return nil, errNoSession
	}
	if now.Sub(s.LastSeenAt) >= time.Minute {
		if err := d.store.TouchSession(r.Context(), s.ID, now); err != nil {
			d.logger.Warn("dashboard: touch session", "err", err)
		}
	}
	return &Caller{User: u, Session: s, CSRF: csrfToken(c.Value)}, nil
}

// pageFunc is a handler of a page that needs a signed-in user.
type pageFunc func(w http.ResponseWriter, r *http.Request, c *Caller)

// signedIn admits requests of a fully signed-in user: others are sent to
// the sign-in page (which brings them back to a GET page afterwards). A
// request that is not GET or HEAD must carry the session's CSRF token in
// its "csrf" form field, or it is refused with 403.
func (d *Dashboard) signedIn(fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := d.caller(r)
		if err == nil && c.Session.SecondFactorPending {
			err = errNoSession
		}
		if errors.Is(err, errNoSession) {
			target := "/ui/signin"
			if r.Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		} else if err != nil {
			d.fail(w, r, nil, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if !sameToken(r.PostFormValue("csrf"), c.CSRF) {
				d.errorPage(w, r, c, http.StatusForbidden, "This form has expired or did not come from this dashboard. Go back, reload the page and try again.")
				return
			}
		}
		fn(w, r, c)
	}
}

// maxFormBytes bounds a form body.
const maxFormBytes = 1 << 20

// safeNext returns next when it is a path of the dashboard, else "/ui/":
// a sign-in link must not send anyone to another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/"
	}
	return next
}

// signOut ends the request's session.
func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request, c *Caller) {
	d.endSession(w, r)
	d.redirect(w, r, "/ui/signin", flashInfo, "You are signed out.")
}

// signOutEverywhere ends every session of the caller, on every device.
func (d *Dashboard) signOutEverywhere(w http.ResponseWriter, r *http.Request, c *Caller) {
	n, err := d.store.DeleteUserSessions(r.Context(), c.User.ID)
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.logger.Info("dashboard: signed out everywhere", "user_id", c.User.ID, "sessions", n)
	d.audit(r.Context(), r, c.User, actionSignOutEverywhere, gatehouse.OutcomeSuccess, fmt.Sprintf("%d sessions ended", n))
	http.SetCookie(w, d.cookie(d.sessionCookieName(), "", -1))
	d.redirect(w, r, "/ui/signin", flashInfo, fmt.Sprintf("You are signed out everywhere (%d sessions ended).", n))
}

// principalOf is the signed-in user as the service layer knows them.
func principalOf(r *http.Request, c *Caller) *gatehouse.Principal {
	return gatehouse.UserPrincipal(c.User, clientIP(r).String())
}
