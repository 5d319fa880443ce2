package httpapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// tokenResponse is the RFC 6749 §5.1 body plus the two fields Keycloak adds,
// which Keycloak client code reads.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	NotBeforePolicy  int64  `json:"not-before-policy"`
	Scope            string `json:"scope"`
}

// token is the standard token endpoint (RFC 6749 §4.4).
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	env := r.PathValue("env")
	if _, oerr := s.issuer.Environment(env); oerr != nil {
		writeOAuthError(w, s.bannedFirst(r, "", "standard", oerr), "")
		return
	}
	req, realm, oerr := parseTokenRequest(r, env)
	if oerr != nil {
		writeOAuthError(w, s.bannedFirst(r, env, "standard", oerr), realm)
		return
	}
	tok, oerr := s.issuer.Issue(r.Context(), &req)
	if oerr != nil {
		writeOAuthError(w, oerr, realm)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: tok.ExpiresIn, Scope: tok.Scope,
	})
}

// parseTokenRequest reads a standard token request addressed to env. realm
// is env when the client used HTTP Basic, for the WWW-Authenticate challenge.
func parseTokenRequest(r *http.Request, env string) (req tokens.Request, realm string, oerr *tokens.Error) {
	form, oerr := parseForm(r)
	if oerr != nil {
		return req, "", oerr
	}
	creds, basic, oerr := clientCredentials(r, form)
	if basic {
		realm = env
	}
	if oerr != nil {
		return req, realm, oerr
	}
	req = tokens.Request{
		Environment: env,
		GrantType:   form.Get("grant_type"),
		Credentials: creds,
		Scope:       form.Get("scope"),
		RemoteIP:    remoteIP(r),
		Dialect:     "standard",
	}
	for _, p := range []string{"audience", "resource"} {
		if a := form.Get(p); a != "" {
			req.Audiences = append(req.Audiences, a)
		}
	}
	return req, realm, nil
}

// bannedFirst returns the answer to a request refused before it reached the
// issuing core (unknown environment, malformed, no credentials): 429 when
// its source is banned, as a ban is checked before anything else of a
// request, else oerr.
func (s *server) bannedFirst(r *http.Request, env, dialect string, oerr *tokens.Error) *tokens.Error {
	if ban := s.issuer.CheckBan(r.Context(), env, remoteIP(r), dialect); ban != nil {
		return ban
	}
	return oerr
}
