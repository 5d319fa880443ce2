package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// contentSecurityPolicy allows the dashboard's own files and nothing else:
// no inline script or style, no framing, forms post only to the dashboard.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// protect wraps every dashboard response: security headers first, then the
// network allowlist, then the cross-origin check of state-changing
// requests (each form's CSRF token is checked per route, see signedIn).
func (d *Dashboard) protect(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	// Behind a proxy that rewrites Host, a browser without Sec-Fetch-Site
	// is judged by its Origin: the public URL's origin is ours.
	if u, err := url.Parse(d.cfg.PublicURL); err == nil && u.Scheme != "" && u.Host != "" {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			d.logger.Warn("dashboard: public URL is not an origin", "err", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.logger.Info("dashboard: cross-origin request refused", "method", r.Method, "path", logPath(r),
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		d.errorPage(w, r, nil, http.StatusForbidden, "This request came from another site and was refused.")
	}))
	guarded := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if d.secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !d.allowedNetwork(r) {
			d.errorPage(w, r, nil, http.StatusForbidden, "The dashboard cannot be reached from your network.")
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// allowedNetwork reports whether the client may reach the dashboard.
func (d *Dashboard) allowedNetwork(r *http.Request) bool {
	if len(d.cfg.AllowedNetworks) == 0 {
		return true
	}
	ip := clientIP(r)
	for _, p := range d.cfg.AllowedNetworks {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// csrfToken is the form token of a session: an HMAC of the session token,
// so it needs no storage, differs per session and reveals nothing of the
// session token.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("gatehouse dashboard csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sameToken compares two tokens in constant time; empty never matches.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Cookie names. On https the session cookie has the __Host- prefix, which
// browsers accept only when Secure, with Path=/ and no Domain.
const (
	sessionCookieSecure = "__Host-gatehouse_session"
	sessionCookiePlain  = "gatehouse_session"
	preSessionCookie    = "gatehouse_form" // CSRF token of forms shown before sign-in
	flashCookie         = "gatehouse_flash"
)

func (d *Dashboard) sessionCookieName() string {
	if d.secure {
		return sessionCookieSecure
	}
	return sessionCookiePlain
}

// cookie returns a cookie with the dashboard's flags: HttpOnly,
// SameSite=Lax, Secure on https.
func (d *Dashboard) cookie(name, value string, maxAge int) *http.Cookie {
	path := "/ui/"
	if d.secure {
		path = "/"
	}
	return &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteLaxMode,
	}
}

// preSessionToken returns the CSRF token of forms shown to visitors who are
// not signed in (sign-in, invitation), setting its cookie when missing: the
// form must send back the cookie's value (double submit).
func (d *Dashboard) preSessionToken(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(preSessionCookie); err == nil && len(c.Value) >= 32 {
		return c.Value, nil
	}
	tok, err := d.randomToken()
	if err != nil {
		return "", err
	}
	http.SetCookie(w, d.cookie(preSessionCookie, tok, 0))
	return tok, nil
}

// checkPreSessionToken reports whether the form carries the token of its
// pre-session cookie.
func checkPreSessionToken(r *http.Request) bool {
	c, err := r.Cookie(preSessionCookie)
	return err == nil && sameToken(r.PostFormValue("csrf"), c.Value)
}

// randomToken returns 256 random bits, base64url.
func (d *Dashboard) randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(d.rand, b); err != nil {
		return "", fmt.Errorf("read random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// logPath is the request path for logs, with an invitation token cut
// out: the token signs someone up, so it must not reach a log.
func logPath(r *http.Request) string {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/ui/invitations/"); ok && rest != "" {
		return "/ui/invitations/…"
	}
	return r.URL.Path
}
