package dashboard

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// The operator pages are for provider staff (users with the operator
// flag): every account and its credentials, environment settings, signing
// keys and bans. The service layer refuses anyone else; the pages also
// answer 404 to a non-operator, so they do not show they exist.

// operatorRoutes registers the operator pages.
func (d *Dashboard) operatorRoutes() {
	m := d.mux
	m.HandleFunc("GET /ui/operator", d.signedIn(d.operatorOnly(d.operatorAccounts)))
	m.HandleFunc("POST /ui/operator/accounts", d.signedIn(d.operatorOnly(d.createAccount)))
	m.HandleFunc("GET /ui/operator/accounts/{id}", d.signedIn(d.operatorOnly(d.operatorAccount)))
	m.HandleFunc("GET /ui/operator/environments", d.signedIn(d.operatorOnly(d.operatorEnvironments)))
	m.HandleFunc("POST /ui/operator/environments/{env}", d.signedIn(d.operatorOnly(d.updateEnvironment)))
	m.HandleFunc("GET /ui/operator/keys", d.signedIn(d.operatorOnly(d.operatorKeys)))
	m.HandleFunc("POST /ui/operator/keys/{env}/rotate", d.signedIn(d.operatorOnly(d.rotateKeys)))
	m.HandleFunc("GET /ui/operator/bans", d.signedIn(d.operatorOnly(d.operatorBans)))
	m.HandleFunc("POST /ui/operator/bans/lift", d.signedIn(d.operatorOnly(d.liftBan)))
}

// operatorOnly answers 404 to a user who is not an operator.
func (d *Dashboard) operatorOnly(fn pageFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, c *Caller) {
		if !c.User.Operator {
			d.fail(w, r, c, gatehouse.Errorf(gatehouse.ENOTFOUND, "not found"))
			return
		}
		fn(w, r, c)
	}
}

// operatorPage is the data of every operator page: which tab is open and
// that tab's own data.
type operatorPage struct {
	Tab  string // accounts, environments, keys, bans
	Data any
}

func (d *Dashboard) renderOperator(w http.ResponseWriter, r *http.Request, c *Caller, tab, title string, data any) {
	d.render(w, r, c, http.StatusOK, "operator_"+tab, &Page{Title: title + " · Operator", Nav: "operator", Data: operatorPage{Tab: tab, Data: data}})
}

// accountsPage lists accounts.
type accountsPage struct {
	Accounts []*gatehouse.Account
	More     string
}

const operatorPageSize = 200

func (d *Dashboard) operatorAccounts(w http.ResponseWriter, r *http.Request, c *Caller) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	list, err := d.manage.Accounts(r.Context(), principalOf(r, c), gatehouse.AccountFilter{AfterID: after, Limit: operatorPageSize + 1})
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	page := accountsPage{Accounts: list}
	if len(list) > operatorPageSize {
		page.Accounts = list[:operatorPageSize]
		page.More = strconv.FormatInt(page.Accounts[operatorPageSize-1].ID, 10)
	}
	d.renderOperator(w, r, c, "accounts", "Accounts", page)
}

// createAccount creates an account; its users are then invited from its
// team page.
func (d *Dashboard) createAccount(w http.ResponseWriter, r *http.Request, c *Caller) {
	a, err := d.manage.CreateAccount(r.Context(), principalOf(r, c), strings.TrimSpace(r.PostFormValue("name")))
	if err != nil {
		d.failForm(w, r, c, "/ui/operator", err)
		return
	}
	d.redirect(w, r, "/ui/operator/accounts/"+strconv.FormatInt(a.ID, 10), flashInfo, "Account "+a.Name+" created. Invite its first user from its team page.")
}

// accountPage is one account's credentials in every environment.
type accountPage struct {
	Account *gatehouse.Account
	Clients []manage.ClientWithUsage
}

func (d *Dashboard) operatorAccount(w http.ResponseWriter, r *http.Request, c *Caller) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		d.fail(w, r, c, gatehouse.Errorf(gatehouse.ENOTFOUND, "account not found"))
		return
	}
	p := principalOf(r, c)
	a, err := d.manage.Account(r.Context(), p, id)
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	list, err := d.manage.ClientsWithUsage(r.Context(), p, gatehouse.ClientFilter{AccountID: id, Limit: 1000})
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.renderOperator(w, r, c, "account", "Account "+a.Name, accountPage{Account: a, Clients: list})
}

// environmentsPage shows every environment's settings, with a form each.
type environmentsPage struct {
	Environments []*gatehouse.Environment
	Endpoints    TokenEndpoints
}

func (d *Dashboard) operatorEnvironments(w http.ResponseWriter, r *http.Request, c *Caller) {
	list, err := d.manage.Environments(r.Context(), principalOf(r, c))
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.renderOperator(w, r, c, "environments", "Environments", environmentsPage{Environments: list, Endpoints: d.pageServices.Endpoints})
}

// updateEnvironment saves one environment's settings form: token format,
// lifetime, reuse, reveal, and the rate limits.
func (d *Dashboard) updateEnvironment(w http.ResponseWriter, r *http.Request, c *Caller) {
	back := "/ui/operator/environments"
	patch, err := environmentPatch(r)
	if err != nil {
		d.redirect(w, r, back, flashError, gatehouse.ErrorMessage(err))
		return
	}
	env := r.PathValue("env")
	if _, err := d.manage.UpdateEnvironment(r.Context(), principalOf(r, c), env, patch); err != nil {
		d.failForm(w, r, c, back, err)
		return
	}
	d.redirect(w, r, back, flashInfo, "Settings of "+env+" saved.")
}

// environmentPatch reads the settings form of one environment.
func environmentPatch(r *http.Request) (manage.EnvironmentPatch, error) {
	lifetime, err := time.ParseDuration(strings.TrimSpace(r.PostFormValue("lifetime")))
	if err != nil {
		return manage.EnvironmentPatch{}, gatehouse.Errorf(gatehouse.EINVALID, "lifetime must be a duration like 5m, 1h or 2160h")
	}
	limits := manage.RateLimitsPatch{}
	for _, f := range []struct {
		name string
		dst  **int
	}{
		{"client_per_minute", &limits.ClientPerMinute}, {"client_burst", &limits.ClientBurst},
		{"ip_per_minute", &limits.IPPerMinute}, {"ip_burst", &limits.IPBurst},
	} {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(f.name)))
		if err != nil {
			return manage.EnvironmentPatch{}, gatehouse.Errorf(gatehouse.EINVALID, "%s must be a whole number", strings.ReplaceAll(f.name, "_", " "))
		}
		*f.dst = &n
	}
	return manage.EnvironmentPatch{
		Tokens: &manage.TokenSettingsPatch{
			Format:          manage.Field[string]{Set: true, Value: r.PostFormValue("format")},
			LifetimeSeconds: manage.Field[int64]{Set: true, Value: int64(lifetime / time.Second)},
			Reuse:           manage.Field[bool]{Set: true, Value: r.PostFormValue("reuse") == "on"},
		},
		AllowReveal: manage.Field[bool]{Set: true, Value: r.PostFormValue("allow_reveal") == "on"},
		Limits:      &limits,
	}, nil
}

// keysPage lists each environment's signing keys.
type keysPage struct {
	Environments []envKeys
}

type envKeys struct {
	Name string
	Keys []manage.SigningKeyInfo
}

func (d *Dashboard) operatorKeys(w http.ResponseWriter, r *http.Request, c *Caller) {
	p := principalOf(r, c)
	envs, err := d.manage.Environments(r.Context(), p)
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	var page keysPage
	for _, e := range envs {
		keys, err := d.operations.SigningKeys(r.Context(), p, e.Name)
		if err != nil {
			d.fail(w, r, c, err)
			return
		}
		page.Environments = append(page.Environments, envKeys{Name: e.Name, Keys: keys})
	}
	d.renderOperator(w, r, c, "keys", "Signing keys", page)
}

func (d *Dashboard) rotateKeys(w http.ResponseWriter, r *http.Request, c *Caller) {
	env := r.PathValue("env")
	k, err := d.operations.RotateSigningKey(r.Context(), principalOf(r, c), env)
	if err != nil {
		d.failForm(w, r, c, "/ui/operator/keys", err)
		return
	}
	d.redirect(w, r, "/ui/operator/keys", flashInfo, "A new "+k.Algorithm+" key of "+env+" is published; it starts signing after the publication delay.")
}

// bansPage lists the active bans.
type bansPage struct {
	Bans []bans.Ban
}

func (d *Dashboard) operatorBans(w http.ResponseWriter, r *http.Request, c *Caller) {
	list, err := d.operations.Bans(r.Context(), principalOf(r, c))
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.renderOperator(w, r, c, "bans", "Bans", bansPage{Bans: list})
}

func (d *Dashboard) liftBan(w http.ResponseWriter, r *http.Request, c *Caller) {
	subject := r.PostFormValue("subject")
	if err := d.operations.LiftBan(r.Context(), principalOf(r, c), subject); err != nil {
		d.failForm(w, r, c, "/ui/operator/bans", err)
		return
	}
	d.redirect(w, r, "/ui/operator/bans", flashInfo, "The ban of "+subject+" is lifted.")
}
