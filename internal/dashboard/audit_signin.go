package dashboard

import (
	"context"
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
)

// Audit actions of the dashboard's sign-in. An account's members read the
// events of their account's users; operators read all.
const (
	actionSignIn            = "user.sign_in"
	actionSignOutEverywhere = "user.sign_out_everywhere"
	actionSecondFactorOn    = "user.second_factor_on"
	actionSecondFactorOff   = "user.second_factor_off"
)

// audit records what happened to a user's sign-in. u may be nil for an
// unknown email address; then the event names no user, so that a
// password typed into the email field never reaches the log. A failure
// to record is logged, not shown: the user's action already happened.
func (d *Dashboard) audit(ctx context.Context, r *http.Request, u *gatehouse.User, action, outcome, detail string) {
	e := &gatehouse.AuditEvent{
		Time: d.now(), Actor: "anonymous", SourceIP: clientIP(r).String(), Action: action,
		Object: "user:unknown", Outcome: outcome, Detail: detail,
	}
	if u != nil {
		e.Actor, e.Object, e.AccountID = "user:"+u.Email, "user:"+u.Email, u.AccountID
	}
	if err := d.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		d.logger.Warn("dashboard: record audit event", "action", action, "err", err)
	}
}
