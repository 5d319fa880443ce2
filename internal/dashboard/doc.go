// Package dashboard is the server-rendered web UI under /ui/: sign-in
// (password, optional TOTP second factor, lockout), sessions kept in the
// database, CSRF protection and security headers, and the pages through
// which an account's users manage their credentials and team. Business
// rules (who may do what to which object) are not here: pages call the
// service layer with the signed-in principal.
//
// It must not import database/sql, internal/sqlstore or internal/adminapi.
//
// # Adding a page
//
//  1. Write templates/pages/NAME.html defining "content"; the browser
//     title is Page.Title, and the layout, navigation (every section is
//     listed there already) and environment switcher come from
//     templates/layout.html. No inline script or style: the Content
//     Security Policy forbids both; use classes from static/app.css.
//     Every POST form carries {{template "csrf" .}}.
//  2. Write the handler as a method with the pageFunc signature,
//     func(w http.ResponseWriter, r *http.Request, c *Caller), in a file
//     of its own (credentials.go, usage.go, …). c.User is the signed-in
//     user. Pages of one environment live under /ui/env/{env}/… and set
//     Page.Env so that the switcher links to the same page elsewhere.
//  3. Register it in routes.go, wrapped in d.signedIn, which redirects
//     visitors to the sign-in page and refuses a POST without the
//     session's CSRF token (403).
//  4. Answer a GET with d.render(w, r, c, http.StatusOK, "NAME", &Page{…});
//     answer a POST with d.redirect(w, r, target, flashInfo, "Done.")
//     (POST-redirect-GET; the flash shows on the next page), and a failure
//     with d.fail(w, r, c, err), which maps the service's gatehouse.Error
//     to the status and a message that leaks nothing (404 for what the
//     user may not see).
//  5. Test it in the browser with the harness in e2e/browser_test.go.
package dashboard
