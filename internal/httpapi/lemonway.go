package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// The Lemonway-style dialect: POST {path} with "Authorization: basic <api
// key>" (the key itself, not base64 of id:secret; a standard Basic header
// works too) and the form Grant_type=client_credentials, whose parameter
// names are case-insensitive. It answers
// {"token_Type":"Bearer","access_token","expires_in"} and reuses tokens
// (the unexpired token is given back) by default. Errors use the RFC 6749 body with 400 and 401.

const lemonwayType = "application/json;charset=UTF-8"

// lemonwayRealm names the Basic challenge of the dialect, whose endpoint
// serves every environment.
const lemonwayRealm = "gatehouse"

type lemonwayTokenResponse struct {
	TokenType   string `json:"token_Type"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

func (s *server) lemonway(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowedAs(w, http.MethodPost, oauthBody, lemonwayType)
		return
	}
	req, realm, oerr := parseLemonwayRequest(r)
	if oerr != nil {
		writeError(w, s.bannedFirst(r, "", "lemonway", oerr), realm, oauthBody, lemonwayType)
		return
	}
	req.RemoteIP = remoteIP(r)
	req.Settings = &s.dialects.Lemonway.Settings
	tok, oerr := s.issuer.Issue(r.Context(), &req)
	if oerr != nil {
		writeError(w, oerr, realm, oauthBody, lemonwayType)
		return
	}
	writeJSONType(w, http.StatusOK, lemonwayType, lemonwayTokenResponse{
		TokenType: "Bearer", AccessToken: tok.AccessToken, ExpiresIn: tok.ExpiresIn,
	})
}

// parseLemonwayRequest reads the API key (or standard Basic credentials)
// and the case-insensitive grant type. realm is set once the client used
// the Authorization header, for the WWW-Authenticate challenge.
func parseLemonwayRequest(r *http.Request) (req tokens.Request, realm string, oerr *tokens.Error) {
	req.Dialect = "lemonway"
	if r.URL.RawQuery != "" {
		return req, "", tokens.NewError(tokens.ErrInvalidRequest, "parameters belong in the form body, not the query string")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return req, "", tokens.NewError(tokens.ErrInvalidRequest, "the body must be application/x-www-form-urlencoded")
		}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
	if err != nil || len(b) > maxFormBytes {
		return req, "", tokens.NewError(tokens.ErrInvalidRequest, "the body could not be read")
	}
	form, oerr := decodeForm(string(b))
	if oerr != nil {
		return req, "", oerr
	}
	for k, v := range form {
		if strings.EqualFold(k, "grant_type") {
			if req.GrantType != "" {
				return req, "", tokens.NewError(tokens.ErrInvalidRequest, "parameter grant_type is repeated")
			}
			req.GrantType = v[0]
		}
	}
	if req.GrantType == "" {
		return req, "", tokens.NewError(tokens.ErrInvalidRequest, "Grant_type is required")
	}
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	value = strings.TrimSpace(value)
	if !strings.EqualFold(scheme, "basic") || value == "" {
		return req, "", tokens.NewError(tokens.ErrInvalidClient, "send the API key as \"Authorization: basic <api key>\"")
	}
	realm = lemonwayRealm
	if gatehouse.LooksLikeAPIKey(value) {
		id, secret, err := gatehouse.ParseAPIKey(value)
		if err != nil {
			return req, realm, tokens.NewError(tokens.ErrInvalidClient, "the API key is not valid")
		}
		req.Credentials = tokens.Credentials{Method: tokens.AuthAPIKey, ClientID: id, Secret: secret}
		return req, realm, nil
	}
	id, secret, ok := decodeBasic(value)
	if !ok && gatehouse.ValidLegacyKey(value) {
		// A legacy API key of another server, imported as it was.
		req.Credentials = tokens.Credentials{Method: tokens.AuthAPIKey, ClientID: gatehouse.LegacyKeyClientID(value), Secret: value}
		return req, realm, nil
	}
	if !ok {
		return req, realm, tokens.NewError(tokens.ErrInvalidClient, "the API key is not valid")
	}
	req.Credentials = tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: id, Secret: secret}
	return req, realm, nil
}
