package dashboard

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// securityURL is the signed-in user's security page, where the password
// form is.
const securityURL = "/ui/account/security"

// changePassword changes the signed-in user's password through the service
// layer, which ends every session of the user; this browser then gets a
// fresh session, so only the other devices are signed out. A wrong current
// password counts toward the sign-in lockout.
func (d *Dashboard) changePassword(w http.ResponseWriter, r *http.Request, c *Caller) {
	newPW := r.PostFormValue("new_password")
	if newPW != r.PostFormValue("confirm_password") {
		d.redirect(w, r, securityURL, flashError, "The new password and its confirmation differ: the password was not changed.")
		return
	}
	ended, err := d.manage.ChangePassword(r.Context(), principalOf(r, c), r.PostFormValue("current_password"), newPW)
	if errors.Is(err, manage.ErrWrongPassword) {
		msg := d.countFailure(r.Context(), w, r, c.User.Email)
		d.redirect(w, r, securityURL, flashError, "Wrong current password: the password was not changed. "+msg)
		return
	}
	if err != nil {
		d.failForm(w, r, c, securityURL, err)
		return
	}
	if err := d.startSession(r.Context(), w, c.User, false); err != nil {
		// The password changed and every session ended; sign in again.
		d.logger.Error("dashboard: new session after a password change", "user_id", c.User.ID, "err", err)
		http.SetCookie(w, d.cookie(d.sessionCookieName(), "", -1))
		d.redirect(w, r, "/ui/signin", flashInfo, "Your password is changed. Please sign in again.")
		return
	}
	d.redirect(w, r, securityURL, flashInfo, fmt.Sprintf("Your password is changed; your other sessions are signed out (%d sessions ended, this one renewed).", ended))
}
