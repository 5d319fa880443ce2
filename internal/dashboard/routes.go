package dashboard

import (
	"io/fs"
	"net/http"
)

// routes registers every dashboard page. One line per route; page
// handlers that need a signed-in user are wrapped in signedIn, which also
// checks the CSRF token of every POST.
func (d *Dashboard) routes() {
	m := d.mux
	static, _ := fs.Sub(files, "static")
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticFiles(static)))

	// Sign-in and sessions.
	m.HandleFunc("GET /ui/signin", d.signInForm)
	m.HandleFunc("POST /ui/signin", d.signIn)
	m.HandleFunc("GET /ui/signin/code", d.codeForm)
	m.HandleFunc("POST /ui/signin/code", d.code)
	m.HandleFunc("POST /ui/signout", d.signedIn(d.signOut))
	m.HandleFunc("POST /ui/signout/everywhere", d.signedIn(d.signOutEverywhere))

	// The signed-in user's own account security.
	m.HandleFunc("GET /ui/account/security", d.signedIn(d.security))
	m.HandleFunc("POST /ui/account/totp", d.signedIn(d.startTOTP))
	m.HandleFunc("POST /ui/account/totp/confirm", d.signedIn(d.confirmTOTP))
	m.HandleFunc("POST /ui/account/totp/disable", d.signedIn(d.disableTOTP))

	if d.cfg.Team != nil {
		d.teamRoutes()
	}
	// Credentials, usage, audit log, operator pages.
	if d.manage != nil {
		d.credentialRoutes()
		d.operatorRoutes()
		m.HandleFunc("POST /ui/account/password", d.signedIn(d.changePassword))
		m.HandleFunc("GET /ui/env/{env}/usage", d.signedIn(d.usage))
		m.HandleFunc("GET /ui/audit", d.signedIn(d.auditLog))
		m.HandleFunc("GET /ui/audit/export", d.signedIn(d.auditExport))
	}

	m.HandleFunc("GET /ui/{$}", d.signedIn(d.home))
	m.HandleFunc("/ui/", d.notFound)
}

// staticFiles serves the embedded CSS, JS and icon. They change only with the
// binary, so browsers may keep them for a day.
func staticFiles(root fs.FS) http.Handler {
	files := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || r.URL.Path[len(r.URL.Path)-1] == '/' {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// home is the landing page after sign-in.
func (d *Dashboard) home(w http.ResponseWriter, r *http.Request, c *Caller) {
	d.render(w, r, c, http.StatusOK, "home", &Page{Title: "Overview", Nav: "home"})
}
