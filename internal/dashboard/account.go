package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// codeForm asks a user whose password was right for their TOTP or
// recovery code.
func (d *Dashboard) codeForm(w http.ResponseWriter, r *http.Request) {
	c, err := d.caller(r)
	if err != nil || !c.Session.SecondFactorPending {
		http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
		return
	}
	d.render(w, r, nil, http.StatusOK, "signin_code", &Page{Title: "Enter your code", CSRF: c.CSRF,
		Data: signInData{Next: safeNext(r.URL.Query().Get("next"))}})
}

// code checks the second factor of a pending session. On success the
// pending session is replaced by a full one (a new token); failures count
// against the email address and the client address like wrong passwords.
func (d *Dashboard) code(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	c, err := d.caller(r)
	if err != nil || !c.Session.SecondFactorPending {
		http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
		return
	}
	if !sameToken(r.PostFormValue("csrf"), c.CSRF) {
		d.errorPage(w, r, nil, http.StatusForbidden, "This form has expired. Sign in again.")
		return
	}
	ctx := r.Context()
	data := signInData{Next: safeNext(r.PostFormValue("next"))}
	page := &Page{Title: "Enter your code", CSRF: c.CSRF, Data: &data}
	if locked, status, msg := d.refusedBeforeCheck(ctx, w, r, c.User.Email); locked {
		d.endSession(w, r)
		data.Message = msg
		d.renderSignIn(w, r, status, data)
		return
	}
	ok, err := d.checkSecondFactor(ctx, c.User.ID, r.PostFormValue("code"))
	if err != nil {
		d.fail(w, r, nil, err)
		return
	}
	if !ok {
		data.Message = d.countFailure(ctx, w, r, c.User.Email)
		d.audit(ctx, r, c.User, actionSignIn, gatehouse.OutcomeFailure, "wrong second-factor code")
		d.render(w, r, nil, http.StatusUnauthorized, "signin_code", page)
		return
	}
	if err := d.store.ClearSignInFailures(ctx, emailSubject(c.User.Email)); err != nil {
		d.logger.Warn("dashboard: clear sign-in failures", "err", err)
	}
	d.endSession(w, r)
	if err := d.startSession(ctx, w, c.User, false); err != nil {
		d.fail(w, r, nil, err)
		return
	}
	d.logger.Info("dashboard: second factor accepted", "user_id", c.User.ID, "ip", clientIP(r).String())
	d.audit(ctx, r, c.User, actionSignIn, gatehouse.OutcomeSuccess, "password and second factor")
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

// securityData is the data of the account security page.
type securityData struct {
	Enabled       bool     // a confirmed second factor
	Pending       bool     // enrolment started, not confirmed
	Secret        string   // pending: the secret, for typing it in
	URI           string   // pending: the otpauth:// URI
	QR            any      // pending: the URI as an inline SVG QR code
	RecoveryLeft  int      // enabled: unused recovery codes
	RecoveryCodes []string // shown once, right after confirmation
	Message       string
	// CanChangePassword offers the password form (the dashboard runs with
	// the service layer).
	CanChangePassword bool
}

// security shows the second-factor state and the sign-out-everywhere
// button.
func (d *Dashboard) security(w http.ResponseWriter, r *http.Request, c *Caller) {
	data, err := d.securityState(r, c)
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.render(w, r, c, http.StatusOK, "security", &Page{Title: "Security", Nav: "security", Data: data})
}

func (d *Dashboard) securityState(r *http.Request, c *Caller) (*securityData, error) {
	ctx := r.Context()
	data := &securityData{CanChangePassword: d.manage != nil}
	f, err := d.store.SecondFactor(ctx, c.User.ID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return data, nil
	} else if err != nil {
		return nil, err
	}
	if f.Confirmed {
		data.Enabled = true
		data.RecoveryLeft, err = d.store.RecoveryCodesLeft(ctx, c.User.ID)
		return data, err
	}
	secret, err := d.openSecret(f)
	if err != nil {
		return nil, err
	}
	data.Pending, data.Secret = true, secret
	data.URI = d.otpauthURI(c.User, secret)
	data.QR, err = qrSVG(data.URI)
	return data, err
}

// otpauthURI is the key URI authenticator apps read.
func (d *Dashboard) otpauthURI(u *gatehouse.User, secret string) string {
	issuer := d.issuerName()
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	label := url.PathEscape(issuer + ":" + u.Email)
	return "otpauth://totp/" + label + "?" + v.Encode()
}

// issuerName names the server in authenticator apps: its public host.
func (d *Dashboard) issuerName() string {
	if u, err := url.Parse(d.cfg.PublicURL); err == nil && u.Host != "" {
		return "Gatehouse (" + u.Host + ")"
	}
	return "Gatehouse"
}

// startTOTP begins an enrolment: a new unconfirmed secret replaces any
// earlier one. A confirmed second factor must be turned off first.
func (d *Dashboard) startTOTP(w http.ResponseWriter, r *http.Request, c *Caller) {
	ctx := r.Context()
	if on, err := d.hasSecondFactor(ctx, c.User.ID); err != nil {
		d.fail(w, r, c, err)
		return
	} else if on {
		d.redirect(w, r, "/ui/account/security", flashError, "Two-factor sign-in is already on.")
		return
	}
	key, err := d.newTOTPKey(c.User, d.issuerName())
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	sealed, err := d.sealSecret(c.User.ID, key.Secret())
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	if err := d.store.PutSecondFactor(ctx, &gatehouse.SecondFactor{UserID: c.User.ID, Secret: sealed, CreatedAt: d.now()}); err != nil {
		d.fail(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/ui/account/security", http.StatusSeeOther)
}

// confirmTOTP turns two-factor sign-in on once the user typed a right code
// from their app, and shows the recovery codes once.
func (d *Dashboard) confirmTOTP(w http.ResponseWriter, r *http.Request, c *Caller) {
	ctx := r.Context()
	f, err := d.store.SecondFactor(ctx, c.User.ID)
	if errors.Is(err, gatehouse.ErrNotFound) || (err == nil && f.Confirmed) {
		http.Redirect(w, r, "/ui/account/security", http.StatusSeeOther)
		return
	} else if err != nil {
		d.fail(w, r, c, err)
		return
	}
	secret, err := d.openSecret(f)
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	step, ok := matchTOTP(secret, r.PostFormValue("code"), d.now())
	if !ok {
		data, err := d.securityState(r, c)
		if err != nil {
			d.fail(w, r, c, err)
			return
		}
		data.Message = "That code is not right. Check the time on your device and enter the current code."
		d.render(w, r, c, http.StatusBadRequest, "security", &Page{Title: "Security", Nav: "security", Data: data})
		return
	}
	codes, hashes, err := d.newRecoveryCodes()
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	if err := d.store.ConfirmSecondFactor(ctx, c.User.ID, step, hashes); err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.logger.Info("dashboard: two-factor sign-in turned on", "user_id", c.User.ID)
	d.audit(ctx, r, c.User, actionSecondFactorOn, gatehouse.OutcomeSuccess, "")
	data := &securityData{Enabled: true, RecoveryLeft: len(codes), RecoveryCodes: codes}
	d.render(w, r, c, http.StatusOK, "security", &Page{Title: "Security", Nav: "security", Data: data})
}

// disableTOTP turns two-factor sign-in off after the password is entered
// again.
func (d *Dashboard) disableTOTP(w http.ResponseWriter, r *http.Request, c *Caller) {
	ctx := r.Context()
	if locked, status, msg := d.refusedBeforeCheck(ctx, w, r, c.User.Email); locked {
		d.errorPage(w, r, c, status, msg)
		return
	}
	_, ok, err := d.checkPassword(ctx, c.User.Email, r.PostFormValue("password"))
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	if !ok {
		msg := d.countFailure(ctx, w, r, c.User.Email)
		d.redirect(w, r, "/ui/account/security", flashError, strings.Replace(msg, "email address, ", "", 1))
		return
	}
	if err := d.store.DeleteSecondFactor(ctx, c.User.ID); err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.logger.Info("dashboard: two-factor sign-in turned off", "user_id", c.User.ID)
	d.audit(ctx, r, c.User, actionSecondFactorOff, gatehouse.OutcomeSuccess, "")
	d.redirect(w, r, "/ui/account/security", flashInfo, "Two-factor sign-in is off.")
}
