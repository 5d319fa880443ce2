package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// testTokenPage shows a token issued by "Get a test token", decoded.
type testTokenPage struct {
	Env       string
	Client    *gatehouse.Client
	Token     decodedToken
	ExpiresAt time.Time
	Error     string // why no token was issued (the OAuth error the client would get)
	ErrorCode string
}

// testToken issues a token for the credential through the issuing core,
// so every check a program's request meets applies (status, IP allowlist
// against the user's address, rate limits, scopes, token settings), and
// shows it decoded. It is answered directly rather than through a
// redirect: nothing changes that a reload could repeat harmfully, and the
// token is not kept anywhere.
func (d *Dashboard) testToken(w http.ResponseWriter, r *http.Request, c *Caller) {
	p := principalOf(r, c)
	cl, err := d.manage.Client(r.Context(), p, r.PathValue("id"))
	if err == nil && cl.Environment != r.PathValue("env") {
		err = gatehouse.Errorf(gatehouse.ENOTFOUND, "client not found")
	}
	if err == nil {
		err = manage.Authorize(p, manage.ActCredentials, cl.AccountID, "client "+cl.ID)
	}
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	page := testTokenPage{Env: cl.Environment, Client: cl}
	tok, claims, oerr := d.pageServices.TestTokens.IssueTestToken(r.Context(), cl.ID, clientIP(r))
	status := http.StatusOK
	if oerr != nil {
		page.Error, page.ErrorCode, status = oerr.Description, oerr.Code, oerr.Status
	} else {
		page.ExpiresAt = tok.ExpiresAt
		if page.Token, err = decodeToken(tok.AccessToken, claims); err != nil {
			d.fail(w, r, c, err)
			return
		}
	}
	d.render(w, r, c, status, "credential_token", &Page{Title: "Test token of " + cl.Name, Nav: "credentials", Env: cl.Environment, Data: page})
}

// refusalLimit is how many recent refusals a credential's page lists.
const refusalLimit = 20

// refusals returns the recent refused token requests that f selects (wrong
// secret, address outside the allowlist, rate limited: the failures and
// denials of the audit log), newest first, read through the service layer.
func (d *Dashboard) refusals(ctx context.Context, p *gatehouse.Principal, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, error) {
	var out []*gatehouse.AuditEvent
	for _, outcome := range []string{gatehouse.OutcomeFailure, gatehouse.OutcomeDenied} {
		f.Outcome, f.Newest, f.Limit = outcome, true, refusalLimit
		list, err := d.manage.AuditEvents(ctx, p, f)
		if err != nil {
			return nil, err
		}
		for _, e := range list {
			if strings.HasPrefix(e.Action, "token.") { // not refused dashboard actions
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b *gatehouse.AuditEvent) int {
		switch {
		case a.ID > b.ID:
			return -1
		case a.ID < b.ID:
			return 1
		}
		return 0
	})
	if len(out) > refusalLimit {
		out = out[:refusalLimit]
	}
	return out, nil
}
