package dashboard

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

//go:embed templates static
var files embed.FS

// pages holds one parsed template per page: the layout and partials of
// templates/*.html plus the page's own templates/pages/NAME.html, which
// defines "title" and "content".
type pages struct {
	byName map[string]*template.Template
}

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join":  strings.Join,
	"flags": credentialFlags,
}

func parsePages() (*pages, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse dashboard layout: %w", err)
	}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, file := range names {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(files, file); err != nil {
			return nil, fmt.Errorf("parse dashboard page %s: %w", file, err)
		}
		p.byName[strings.TrimSuffix(path.Base(file), ".html")] = t
	}
	return p, nil
}

// Page is what every page template gets: the fields a handler sets and
// the ones render fills in.
type Page struct {
	// Set by the handler.
	Title string // browser title; the page's "title" template may use it
	Nav   string // navigation entry to highlight: "credentials", "team", …
	// Env is the environment the page shows, for the switcher; "" hides it.
	// Pages of an environment live under /ui/env/{env}/….
	Env  string
	Data any // the page's own data

	// Filled in by render.
	Caller       *Caller
	CSRF         string // the "csrf" field every form must send
	Flash        *Flash
	Environments []EnvLink
	Path         string
}

// EnvLink is one entry of the environment switcher.
type EnvLink struct {
	Name    string
	URL     string
	Current bool
}

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind    string // flashInfo or flashError
	Message string
}

const (
	flashInfo  = "info"
	flashError = "error"
)

// render writes page name with status. c is nil on pages shown before
// sign-in; then p.CSRF must already hold the pre-session token.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, c *Caller, status int, name string, p *Page) {
	t, ok := d.pages.byName[name]
	if !ok {
		d.logger.Error("dashboard: no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.Caller, p.Path = c, r.URL.Path
	if c != nil {
		p.CSRF = c.CSRF
		if p.Env != "" {
			p.Environments = d.envLinks(r, c, p.Env)
		}
	}
	p.Flash = d.takeFlash(w, r)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		d.logger.Error("dashboard: render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// envLinks lists the environments for the switcher, each linking to the
// current page in that environment. The admin environment is for
// operators only.
func (d *Dashboard) envLinks(r *http.Request, c *Caller, current string) []EnvLink {
	envs, err := d.store.Environments(r.Context())
	if err != nil {
		d.logger.Warn("dashboard: list environments", "err", err)
		return nil
	}
	var links []EnvLink
	for _, e := range envs {
		if e.Name == gatehouse.EnvAdmin && !c.User.Operator {
			continue
		}
		u := strings.Replace(r.URL.Path, "/env/"+current+"/", "/env/"+e.Name+"/", 1)
		links = append(links, EnvLink{Name: e.Name, URL: u, Current: e.Name == current})
	}
	slices.SortStableFunc(links, func(a, b EnvLink) int { return envOrder(a.Name) - envOrder(b.Name) })
	return links
}

// envOrder puts sandbox first and production second.
func envOrder(name string) int {
	switch name {
	case gatehouse.EnvSandbox:
		return 0
	case gatehouse.EnvProduction:
		return 1
	}
	return 2
}

// redirect answers a form with 303 See Other to target (POST-redirect-GET)
// and leaves a flash message for the next page when message is not empty.
func (d *Dashboard) redirect(w http.ResponseWriter, r *http.Request, target, kind, message string) {
	if message != "" {
		b, _ := json.Marshal(Flash{Kind: kind, Message: message})
		v := base64.RawURLEncoding.EncodeToString(b)
		http.SetCookie(w, d.cookie(flashCookie, v+"."+d.sign(v), 60))
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// takeFlash reads and clears the flash cookie; a cookie that is not
// signed with the dashboard's key is ignored.
func (d *Dashboard) takeFlash(w http.ResponseWriter, r *http.Request) *Flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, d.cookie(flashCookie, "", -1))
	v, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(d.sign(v))) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	var f Flash
	if err != nil || json.Unmarshal(b, &f) != nil || f.Message == "" {
		return nil
	}
	return &f
}

func (d *Dashboard) sign(v string) string {
	m := hmac.New(sha256.New, d.cfg.CookieKey)
	m.Write([]byte("flash\x00" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// errorPage writes an error page with status and a message that is safe
// to show: it never says whether something exists that the caller may not
// see.
func (d *Dashboard) errorPage(w http.ResponseWriter, r *http.Request, c *Caller, status int, message string) {
	d.render(w, r, c, status, "error", &Page{
		Title: http.StatusText(status),
		Data:  struct{ Status, Message string }{fmt.Sprintf("%d %s", status, http.StatusText(status)), message},
	})
}

// fail writes the error page for err with the status gatehouse.HTTPStatus
// gives its code, and a message for people: an application error's own
// message where it is meant for the caller, a fixed one where it could say
// more than the caller may know. Anything that answers 500 is logged, never
// shown.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, c *Caller, err error) {
	code := gatehouse.ErrorCode(err)
	status := gatehouse.HTTPStatus(code)
	if status == http.StatusInternalServerError {
		d.logger.Error("dashboard: request failed", "method", r.Method, "path", logPath(r), "err", err)
	}
	d.errorPage(w, r, c, status, failMessage(code, err))
}

// failMessage is the dashboard's human message for an error with code.
func failMessage(code string, err error) string {
	switch code {
	case gatehouse.ENOTFOUND:
		return "There is nothing here, or you may not see it."
	case gatehouse.EFORBIDDEN:
		return "Your role does not allow this."
	case gatehouse.EUNAUTHORIZED, gatehouse.EINVALID, gatehouse.ECONFLICT:
		return gatehouse.ErrorMessage(err)
	case gatehouse.EUNAVAILABLE:
		return "The service is briefly unavailable. Please try again in a moment."
	}
	return "Something went wrong on our side. Please try again."
}

// notFound is the page of every unknown dashboard path.
func (d *Dashboard) notFound(w http.ResponseWriter, r *http.Request) {
	c, _ := d.caller(r)
	if c != nil && c.Session.SecondFactorPending {
		c = nil
	}
	d.errorPage(w, r, c, http.StatusNotFound, "There is nothing here, or you may not see it.")
}
