package dashboard

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// A new or revealed secret is shown once, on the page a form redirects to
// (POST-redirect-GET, so reloading never repeats the action). It travels
// to that page in a cookie sealed under the master key (AES-256-GCM), bound
// to the session and the credential, that lives two minutes and is
// cleared by the page that shows it. Nothing about it is kept on the
// server, so any replica can show it.
const (
	secretCookie  = "gatehouse_secret"
	secretPurpose = "dashboard-secret-once"
	secretMaxAge  = 120 // seconds
)

// onceSecret is what the sealed cookie carries.
type onceSecret struct {
	ClientID string `json:"client_id"`
	Secret   string `json:"secret"`
	APIKey   string `json:"api_key"`
	Event    string `json:"event"` // created, renewed, rotated, revealed
	Until    int64  `json:"until"` // Unix seconds after which it is not shown
}

// secretPage shows a secret once, with its curl lines.
type secretPage struct {
	Env    string
	Client *gatehouse.Client
	Secret string
	APIKey string
	Event  string
	Curl   []curlLine
}

// showSecretOnce seals a secret of cl into the cookie and sends the
// browser to the page that shows it.
func (d *Dashboard) showSecretOnce(w http.ResponseWriter, r *http.Request, c *Caller, cl *gatehouse.Client, secret, apiKey, event string) {
	b, err := json.Marshal(onceSecret{
		ClientID: cl.ID, Secret: secret, APIKey: apiKey, Event: event,
		Until: d.now().Add(secretMaxAge * time.Second).Unix(),
	})
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	sealed, err := d.cfg.Sealer.Seal(d.rand, secretPurpose, b, secretAAD(c, cl.ID))
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	ck := d.cookie(secretCookie, base64.RawURLEncoding.EncodeToString(sealed), secretMaxAge)
	ck.SameSite = http.SameSiteStrictMode
	http.SetCookie(w, ck)
	http.Redirect(w, r, credentialURL(cl.Environment, url.PathEscape(cl.ID))+"/secret", http.StatusSeeOther)
}

// secretAAD binds a sealed secret to the session and the credential, so
// that the cookie is worthless to another session or on another page.
func secretAAD(c *Caller, clientID string) []byte {
	return []byte("session:" + c.Session.ID + "\x00client:" + clientID)
}

// shownSecret shows the secret of the sealed cookie once and clears it.
// Without the cookie (reloaded, or opened later) it says the secret is
// gone.
func (d *Dashboard) shownSecret(w http.ResponseWriter, r *http.Request, c *Caller) {
	p := principalOf(r, c)
	cl, err := d.manage.Client(r.Context(), p, r.PathValue("id"))
	if err == nil && cl.Environment != r.PathValue("env") {
		err = gatehouse.Errorf(gatehouse.ENOTFOUND, "client not found")
	}
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	page := secretPage{Env: cl.Environment, Client: cl}
	if s, ok := d.openSecretCookie(r, c, cl.ID); ok {
		page.Secret, page.APIKey, page.Event = s.Secret, s.APIKey, s.Event
		page.Curl = curlLines(d.pageServices.Endpoints, cl.Environment, cl.ID, s.Secret, s.APIKey)
	}
	http.SetCookie(w, d.cookie(secretCookie, "", -1))
	d.render(w, r, c, http.StatusOK, "credential_secret", &Page{Title: "Secret of " + cl.Name, Nav: "credentials", Env: cl.Environment, Data: page})
}

func (d *Dashboard) openSecretCookie(r *http.Request, c *Caller, clientID string) (onceSecret, bool) {
	var s onceSecret
	ck, err := r.Cookie(secretCookie)
	if err != nil {
		return s, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return s, false
	}
	b, err := d.cfg.Sealer.Open(secretPurpose, sealed, secretAAD(c, clientID))
	if err != nil || json.Unmarshal(b, &s) != nil || s.ClientID != clientID || d.now().Unix() > s.Until {
		return onceSecret{}, false
	}
	return s, true
}

// rotateCredential gives the credential a new secret. With no grace period
// this is Renew: the old secret stops at once. With one, both work until
// it ends.
func (d *Dashboard) rotateCredential(w http.ResponseWriter, r *http.Request, c *Caller) {
	back := credentialURL(r.PathValue("env"), url.PathEscape(r.PathValue("id")))
	grace, err := parseGrace(r.PostFormValue("grace"))
	if err != nil {
		d.redirect(w, r, back, flashError, err.Error())
		return
	}
	p, id := principalOf(r, c), r.PathValue("id")
	var created *manage.ClientWithSecret
	event := "renewed"
	if grace == 0 {
		created, err = d.manage.RenewSecret(r.Context(), p, id)
	} else {
		event = "rotated"
		created, err = d.manage.RotateSecret(r.Context(), p, id, grace)
	}
	if err != nil {
		d.failForm(w, r, c, back, err)
		return
	}
	d.showSecretOnce(w, r, c, created.Client, created.Secret, created.APIKey(), event)
}

// parseGrace reads a grace period the rotate form offers.
func parseGrace(v string) (time.Duration, error) {
	for _, g := range graces {
		if g.Value == v {
			if v == "0" {
				return 0, nil
			}
			return time.ParseDuration(v)
		}
	}
	return 0, errors.New("choose a grace period from the list")
}

// revealCredential shows the current secret again after the user typed
// their password. A wrong password is refused, audited by the service
// layer and counted toward the user's sign-in lockout.
func (d *Dashboard) revealCredential(w http.ResponseWriter, r *http.Request, c *Caller) {
	back := credentialURL(r.PathValue("env"), url.PathEscape(r.PathValue("id")))
	p := principalOf(r, c)
	shown, err := d.manage.RevealSecret(r.Context(), p, r.PathValue("id"), c.User.Email, r.PostFormValue("password"))
	if errors.Is(err, manage.ErrWrongPassword) {
		msg := d.countFailure(r.Context(), w, r, c.User.Email)
		d.redirect(w, r, back, flashError, "Wrong password: the secret was not shown. "+msg)
		return
	}
	if err != nil {
		d.failForm(w, r, c, back, err)
		return
	}
	cl, err := d.manage.Client(r.Context(), p, shown.ClientID)
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.showSecretOnce(w, r, c, cl, shown.Secret, shown.APIKey(), "revealed")
}

// revokePage asks for confirmation before a credential is revoked.
type revokePage struct {
	Env    string
	Client *gatehouse.Client
}

func (d *Dashboard) confirmRevoke(w http.ResponseWriter, r *http.Request, c *Caller) {
	cl, err := d.manage.Client(r.Context(), principalOf(r, c), r.PathValue("id"))
	if err == nil && cl.Environment != r.PathValue("env") {
		err = gatehouse.Errorf(gatehouse.ENOTFOUND, "client not found")
	}
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	d.render(w, r, c, http.StatusOK, "credential_revoke", &Page{Title: "Revoke " + cl.Name, Nav: "credentials", Env: cl.Environment, Data: revokePage{Env: cl.Environment, Client: cl}})
}

func (d *Dashboard) revokeCredential(w http.ResponseWriter, r *http.Request, c *Caller) {
	env := r.PathValue("env")
	cl, err := d.manage.RevokeClient(r.Context(), principalOf(r, c), r.PathValue("id"))
	if err != nil {
		d.failForm(w, r, c, credentialURL(env, url.PathEscape(r.PathValue("id"))), err)
		return
	}
	d.redirect(w, r, "/ui/env/"+cl.Environment+"/credentials", flashInfo,
		"Credential "+cl.Name+" is revoked: its secrets and tokens no longer work.")
}
