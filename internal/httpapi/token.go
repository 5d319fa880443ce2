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
		writeOAuthError(w, oerr, "")
		return
	}
	form, oerr := parseForm(r)
	if oerr != nil {
		writeOAuthError(w, oerr, "")
		return
	}
	creds, basic, oerr := clientCredentials(r, form)
	realm := ""
	if basic {
		realm = env
	}
	if oerr != nil {
		writeOAuthError(w, oerr, realm)
		return
	}
	req := tokens.Request{
		Environment: env,
		GrantType:   form.Get("grant_type"),
		Credentials: creds,
		Scope:       form.Get("scope"),
		RemoteIP:    remoteIP(r),
		Dialect:     "standard",
	}
	if a := form.Get("audience"); a != "" {
		req.Audiences = append(req.Audiences, a)
	}
	if a := form.Get("resource"); a != "" {
		req.Audiences = append(req.Audiences, a)
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
