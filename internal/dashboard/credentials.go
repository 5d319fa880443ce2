package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// PageServices are what the credential, usage, audit and operator pages
// need beyond the service layer. Every field may be left zero in a test
// that does not open those pages.
type PageServices struct {
	// TestTokens issues "Get a test token" tokens through the issuing core;
	// *tokens.Issuer is one.
	TestTokens TestTokenIssuer
	// Endpoints are where the server answers token requests, for the curl
	// lines shown with a new secret.
	Endpoints TokenEndpoints
}

// TestTokenIssuer issues a token for a credential to a signed-in user who
// may manage it.
type TestTokenIssuer interface {
	IssueTestToken(ctx context.Context, clientID string, remoteIP netip.Addr) (*tokens.Token, *tokens.Claims, *tokens.Error)
}

// credentialRoutes registers the credential pages of an environment.
func (d *Dashboard) credentialRoutes() {
	m := d.mux
	m.HandleFunc("GET /ui/env/{env}/credentials", d.signedIn(d.credentials))
	m.HandleFunc("POST /ui/env/{env}/credentials", d.signedIn(d.createCredential))
	m.HandleFunc("GET /ui/env/{env}/credentials/{id}", d.signedIn(d.credential))
	m.HandleFunc("POST /ui/env/{env}/credentials/{id}", d.signedIn(d.updateCredential))
	m.HandleFunc("POST /ui/env/{env}/credentials/{id}/keys", d.signedIn(d.setCredentialKeys))
	m.HandleFunc("GET /ui/env/{env}/credentials/{id}/secret", d.signedIn(d.shownSecret))
	m.HandleFunc("POST /ui/env/{env}/credentials/{id}/rotate", d.signedIn(d.rotateCredential))
	m.HandleFunc("POST /ui/env/{env}/credentials/{id}/reveal", d.signedIn(d.revealCredential))
	m.HandleFunc("GET /ui/env/{env}/credentials/{id}/revoke", d.signedIn(d.confirmRevoke))
	m.HandleFunc("POST /ui/env/{env}/credentials/{id}/revoke", d.signedIn(d.revokeCredential))
	m.HandleFunc("POST /ui/env/{env}/credentials/{id}/test-token", d.signedIn(d.testToken))
}

// may reports whether p may do act on the account accountID: pages use it
// to show only the buttons that would work. The service layer checks
// again on every change.
func may(p *gatehouse.Principal, act manage.Action, accountID int64) bool {
	return manage.Authorize(p, act, accountID, "") == nil
}

// credentialsPage is the list of an environment's credentials.
type credentialsPage struct {
	Env       string
	Clients   []manage.ClientWithUsage
	CanManage bool
	More      string // the id to continue the list after, "" at its end
}

// credentialsPageSize is how many credentials one page of the list shows.
const credentialsPageSize = 200

func (d *Dashboard) credentials(w http.ResponseWriter, r *http.Request, c *Caller) {
	env, ok := d.environment(w, r, c)
	if !ok {
		return
	}
	p := principalOf(r, c)
	list, err := d.manage.ClientsWithUsage(r.Context(), p, gatehouse.ClientFilter{
		Environment: env, AfterID: r.URL.Query().Get("after"), Limit: credentialsPageSize + 1,
	})
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	page := credentialsPage{Env: env, CanManage: may(p, manage.ActCredentials, c.User.AccountID) && c.User.AccountID != 0}
	if len(list) > credentialsPageSize {
		list = list[:credentialsPageSize]
		page.More = list[len(list)-1].Client.ID
	}
	page.Clients = list
	d.render(w, r, c, http.StatusOK, "credentials", &Page{Title: "Credentials · " + env, Nav: "credentials", Env: env, Data: page})
}

// environment reads and checks the {env} of the path; an unknown one gets
// the not-found page.
func (d *Dashboard) environment(w http.ResponseWriter, r *http.Request, c *Caller) (string, bool) {
	env := r.PathValue("env")
	envs, err := d.store.Environments(r.Context())
	if err != nil {
		d.fail(w, r, c, err)
		return "", false
	}
	for _, e := range envs {
		if e.Name == env && (env != gatehouse.EnvAdmin || c.User.Operator) {
			return env, true
		}
	}
	d.fail(w, r, c, gatehouse.Errorf(gatehouse.ENOTFOUND, "environment %q not found", env))
	return "", false
}

func (d *Dashboard) createCredential(w http.ResponseWriter, r *http.Request, c *Caller) {
	env, ok := d.environment(w, r, c)
	if !ok {
		return
	}
	created, err := d.manage.CreateClient(r.Context(), principalOf(r, c), manage.NewClient{
		Environment: env, Name: strings.TrimSpace(r.PostFormValue("name")),
		Scopes: fields(r.PostFormValue("scopes")), Audiences: fields(r.PostFormValue("audiences")),
		AllowedCIDRs: fields(r.PostFormValue("allowlist")),
	})
	if err != nil {
		d.failForm(w, r, c, "/ui/env/"+env+"/credentials", err)
		return
	}
	d.showSecretOnce(w, r, c, created.Client, created.Secret, created.APIKey(), "created")
}

// failForm answers a form the service refused for bad input by sending the
// user back to the form with the reason; other errors get the error page.
func (d *Dashboard) failForm(w http.ResponseWriter, r *http.Request, c *Caller, back string, err error) {
	var e *gatehouse.Error
	if errors.As(err, &e) && (e.Code == gatehouse.EINVALID || e.Code == gatehouse.ECONFLICT) {
		d.redirect(w, r, back, flashError, e.Message)
		return
	}
	d.fail(w, r, c, err)
}

// fields splits a form value on commas, spaces and line breaks.
func fields(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	return slices.Compact(out)
}

// credentialPage is one credential with everything that can be done to it.
type credentialPage struct {
	Env        string
	Client     *gatehouse.Client
	Usage      *gatehouse.ClientUsage
	Secrets    []secretRow
	CanManage  bool
	CanReveal  bool
	KeyKind    string // "JWKS", "PEM" or ""
	Refusals   []*gatehouse.AuditEvent
	Graces     []graceChoice
	AllowedIPs string
}

type secretRow struct {
	ID        int64
	CreatedAt time.Time
	ExpiresAt time.Time // zero: does not expire
	Sealed    bool
	Imported  string // the scheme of the imported hash it is still under ("bcrypt", ...), "" for none
}

// graceChoice is one option of the rotation's grace period.
type graceChoice struct {
	Value, Label string
}

// graces are the grace periods the rotate form offers; "0" is Renew.
var graces = []graceChoice{{"0", "None: the old secret stops at once"}, {"1h", "1 hour"}, {"24h", "24 hours"}, {"168h", "7 days"}}

func (d *Dashboard) credential(w http.ResponseWriter, r *http.Request, c *Caller) {
	p := principalOf(r, c)
	cl, usage, err := d.manage.ClientUsage(r.Context(), p, r.PathValue("id"))
	if err == nil && cl.Environment != r.PathValue("env") {
		err = gatehouse.Errorf(gatehouse.ENOTFOUND, "client not found")
	}
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	page := credentialPage{
		Env: cl.Environment, Client: cl, Usage: usage, Graces: graces,
		CanManage: cl.Active() && may(p, manage.ActCredentials, cl.AccountID),
	}
	for _, s := range cl.Secrets {
		page.Secrets = append(page.Secrets, secretRow{ID: s.ID, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, Sealed: s.Sealed != nil,
			Imported: gatehouse.ImportedHashScheme(s.Imported)})
		page.CanReveal = page.CanReveal || s.Sealed != nil
	}
	page.CanReveal = page.CanReveal && page.CanManage
	switch {
	case cl.JWKS != "":
		page.KeyKind = "JWKS"
	case cl.PublicKeyPEM != "":
		page.KeyKind = "PEM"
	}
	var cidrs []string
	for _, pfx := range cl.AllowedCIDRs {
		cidrs = append(cidrs, pfx.String())
	}
	page.AllowedIPs = strings.Join(cidrs, "\n")
	page.Refusals, err = d.refusals(r.Context(), p, gatehouse.AuditFilter{Object: "client:" + cl.ID})
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.render(w, r, c, http.StatusOK, "credential", &Page{Title: cl.Name + " · " + cl.Environment, Nav: "credentials", Env: cl.Environment, Data: page})
}

func (d *Dashboard) updateCredential(w http.ResponseWriter, r *http.Request, c *Caller) {
	back := credentialURL(r.PathValue("env"), r.PathValue("id"))
	patch := manage.ClientPatch{
		Scopes:       manage.Field[[]string]{Set: true, Value: fields(r.PostFormValue("scopes"))},
		Audiences:    manage.Field[[]string]{Set: true, Value: fields(r.PostFormValue("audiences"))},
		AllowedCIDRs: manage.Field[[]string]{Set: true, Value: fields(r.PostFormValue("allowlist"))},
	}
	if name := strings.TrimSpace(r.PostFormValue("name")); name != "" {
		patch.Name = manage.Field[string]{Set: true, Value: name}
	}
	if _, err := d.manage.UpdateClient(r.Context(), principalOf(r, c), r.PathValue("id"), patch); err != nil {
		d.failForm(w, r, c, back, err)
		return
	}
	d.redirect(w, r, back, flashInfo, "Saved.")
}

func (d *Dashboard) setCredentialKeys(w http.ResponseWriter, r *http.Request, c *Caller) {
	back := credentialURL(r.PathValue("env"), r.PathValue("id"))
	text := strings.TrimSpace(r.PostFormValue("keys"))
	var jwks, pemText string
	switch {
	case text == "":
	case strings.HasPrefix(text, "{"):
		jwks = text
	default:
		pemText = text
	}
	if _, err := d.manage.SetClientKeys(r.Context(), principalOf(r, c), r.PathValue("id"), jwks, pemText); err != nil {
		d.failForm(w, r, c, back, err)
		return
	}
	msg := "Public keys saved: the credential may now authenticate with private_key_jwt."
	if text == "" {
		msg = "Public keys removed."
	}
	d.redirect(w, r, back, flashInfo, msg)
}

func credentialURL(env, id string) string { return "/ui/env/" + env + "/credentials/" + id }
