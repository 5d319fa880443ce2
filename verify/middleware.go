package verify

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Middleware returns net/http middleware that admits a request only with a
// valid token carrying every one of requiredScopes, and puts the token's
// claims in the request's context (ClaimsFrom). It answers as RFC 6750 §3
// says:
//
//   - no token: 401 with WWW-Authenticate: Bearer realm="…" and no error;
//   - a bad, expired, revoked or foreign token: 401 with error="invalid_token";
//   - a malformed Authorization header: 400 with error="invalid_request";
//   - a valid token without a required scope: 403 with
//     error="insufficient_scope" and the scopes required;
//   - a token that cannot be checked now: 503 with Retry-After.
//
// The token is taken from "Authorization: Bearer <token>", or, with
// Config.AllowRawAuthorization, from "Authorization: <token>".
func (v *Verifier) Middleware(requiredScopes ...string) func(http.Handler) http.Handler {
	scopes := strings.Join(requiredScopes, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := v.Authorize(r, requiredScopes...)
			if err != nil {
				v.WriteError(w, err, scopes)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), c)))
		})
	}
}

// Authorize is what Middleware does for one request, without writing the
// answer: it extracts the token, verifies it and checks the scopes.
func (v *Verifier) Authorize(r *http.Request, requiredScopes ...string) (*Claims, error) {
	token, err := v.TokenFromRequest(r)
	if err != nil {
		return nil, err
	}
	c, err := v.Verify(r.Context(), token)
	if err != nil {
		return nil, err
	}
	for _, s := range requiredScopes {
		if !c.HasScope(s) {
			return nil, &Error{Code: ErrInsufficientScope, Description: "the token lacks a required scope"}
		}
	}
	return c, nil
}

// TokenFromRequest returns the bearer token of r. A request without one
// gets an error for which WriteError writes a bare challenge.
func (v *Verifier) TokenFromRequest(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", errMissingToken
	case 1:
	default:
		return "", &Error{Code: ErrInvalidRequest, Description: "more than one Authorization header"}
	}
	auth := strings.TrimSpace(values[0])
	if auth == "" {
		return "", errMissingToken
	}
	scheme, token, hasSpace := strings.Cut(auth, " ")
	switch {
	case hasSpace && strings.EqualFold(scheme, "Bearer"):
		token = strings.TrimSpace(token)
		if token == "" || strings.ContainsAny(token, " \t") {
			return "", &Error{Code: ErrInvalidRequest, Description: "malformed Bearer credentials"}
		}
		return token, nil
	case !hasSpace && v.cfg.AllowRawAuthorization:
		return auth, nil
	case !hasSpace:
		return "", &Error{Code: ErrInvalidRequest, Description: "use Authorization: Bearer <token>"}
	}
	return "", errMissingToken // another scheme: no bearer token
}

// WriteError writes the RFC 6750 answer for an error of Verify, Authorize
// or TokenFromRequest. scopes (space-separated) is named in an
// insufficient_scope challenge.
func (v *Verifier) WriteError(w http.ResponseWriter, err error, scopes string) {
	e, ok := err.(*Error)
	if !ok {
		e = unavailable("the token could not be checked")
	}
	h := w.Header()
	realm := `Bearer realm="` + quote(v.cfg.Realm) + `"`
	if e == errMissingToken {
		h.Set("WWW-Authenticate", realm) // RFC 6750 §3.1: no error details
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	status := http.StatusUnauthorized
	switch e.Code {
	case ErrInvalidRequest:
		status = http.StatusBadRequest
	case ErrInsufficientScope:
		status = http.StatusForbidden
	case ErrUnavailable:
		h.Set("Retry-After", "1")
		writeJSONError(w, http.StatusServiceUnavailable, e.Code, e.Description)
		return
	}
	challenge := realm + `, error="` + e.Code + `", error_description="` + quote(e.Description) + `"`
	if e.Code == ErrInsufficientScope && scopes != "" {
		challenge += `, scope="` + quote(scopes) + `"`
	}
	h.Set("WWW-Authenticate", challenge)
	writeJSONError(w, status, e.Code, e.Description)
}

// quote makes s safe inside a quoted-string.
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(s)
}

func writeJSONError(w http.ResponseWriter, status int, code, desc string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
}
