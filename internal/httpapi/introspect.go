package httpapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// authenticatedForm does what introspection and revocation share: POST only,
// a known environment, a strict form, and client credentials. It writes the
// error itself and returns ok=false when the request cannot go on.
func (s *server) authenticatedForm(w http.ResponseWriter, r *http.Request, endpoint string) (env, token string, creds tokens.Credentials, realm string, ok bool) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	env = r.PathValue("env")
	if _, oerr := s.issuer.Environment(env); oerr != nil {
		writeOAuthError(w, s.bannedFirst(r, "", endpoint, oerr), "")
		return
	}
	form, oerr := parseForm(r)
	if oerr != nil {
		writeOAuthError(w, s.bannedFirst(r, env, endpoint, oerr), "")
		return
	}
	creds, basic, oerr := clientCredentials(r, form)
	if basic {
		realm = env
	}
	if oerr != nil {
		writeOAuthError(w, s.bannedFirst(r, env, endpoint, oerr), realm)
		return
	}
	return env, form.Get("token"), creds, realm, true
}

// introspect is the RFC 7662 introspection endpoint.
func (s *server) introspect(w http.ResponseWriter, r *http.Request) {
	env, token, creds, realm, ok := s.authenticatedForm(w, r, tokens.EndpointIntrospection)
	if !ok {
		return
	}
	res, oerr := s.issuer.Introspect(env, creds, remoteIP(r), token)
	if oerr != nil {
		writeOAuthError(w, oerr, realm)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// revoke is the RFC 7009 revocation endpoint.
func (s *server) revoke(w http.ResponseWriter, r *http.Request) {
	env, token, creds, realm, ok := s.authenticatedForm(w, r, tokens.EndpointRevocation)
	if !ok {
		return
	}
	if oerr := s.issuer.Revoke(r.Context(), env, creds, remoteIP(r), token); oerr != nil {
		writeOAuthError(w, oerr, realm)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
