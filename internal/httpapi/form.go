package httpapi

import (
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// maxFormBytes bounds a token, introspection or revocation request body.
const maxFormBytes = 64 << 10

// credentialParams must never travel in a URL, where they end up in logs.
var credentialParams = []string{"client_secret", "client_assertion", "secret", "password", "access_token", "token"}

// parseForm reads an application/x-www-form-urlencoded body strictly: the
// content type must say so, the body is bounded, every parameter appears at
// most once (RFC 6749 §3.2), and credentials in the query string are refused.
func parseForm(r *http.Request) (url.Values, *tokens.Error) {
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, tokens.NewError(tokens.ErrInvalidRequest, "malformed query string")
		}
		for _, p := range credentialParams {
			if q.Has(p) {
				return nil, tokens.NewError(tokens.ErrInvalidRequest, "credentials must not be sent in the query string")
			}
		}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, tokens.NewError(tokens.ErrInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
	if err != nil {
		return nil, tokens.NewError(tokens.ErrInvalidRequest, "the body could not be read")
	}
	if len(body) > maxFormBytes {
		return nil, tokens.NewError(tokens.ErrInvalidRequest, "the body is larger than %d bytes", maxFormBytes)
	}
	return decodeForm(string(body))
}

// decodeForm parses a form body and refuses repeated parameters.
func decodeForm(body string) (url.Values, *tokens.Error) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return nil, tokens.NewError(tokens.ErrInvalidRequest, "malformed form body")
	}
	for k, vals := range v {
		if len(vals) > 1 {
			return nil, tokens.NewError(tokens.ErrInvalidRequest, "parameter %q is repeated", k)
		}
	}
	return v, nil
}

// clientCredentials finds how the client authenticated: HTTP Basic
// (client_secret_basic, RFC 6749 §2.3.1), client_id and client_secret in
// the body (client_secret_post), or a client assertion (private_key_jwt,
// assertion.go). Using both is invalid_request. The second
// result is true when the Authorization header carried Basic credentials.
func clientCredentials(r *http.Request, form url.Values) (tokens.Credentials, bool, *tokens.Error) {
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return assertionCredentials(r, form)
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if !form.Has("client_secret") {
			return tokens.Credentials{}, false, tokens.NewError(tokens.ErrInvalidClient, "client authentication is required")
		}
		return tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: form.Get("client_id"), Secret: form.Get("client_secret")}, false, nil
	}
	scheme, value, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return tokens.Credentials{}, false, tokens.NewError(tokens.ErrInvalidClient, "unsupported authentication scheme; use Basic")
	}
	id, secret, ok := decodeBasic(value)
	if !ok {
		return tokens.Credentials{}, true, tokens.NewError(tokens.ErrInvalidClient, "malformed Basic credentials")
	}
	if form.Has("client_secret") || form.Has("client_assertion") {
		return tokens.Credentials{}, true, tokens.NewError(tokens.ErrInvalidRequest, "use one client authentication method per request")
	}
	if form.Has("client_id") && form.Get("client_id") != id {
		return tokens.Credentials{}, true, tokens.NewError(tokens.ErrInvalidRequest, "client_id does not match the Basic credentials")
	}
	return tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: id, Secret: secret}, true, nil
}

// decodeBasic decodes Basic credentials whose parts are form-urlencoded
// before base64 (RFC 6749 §2.3.1).
func decodeBasic(value string) (id, secret string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
	if err != nil {
		return "", "", false
	}
	id, secret, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	if id, err = url.QueryUnescape(id); err != nil {
		return "", "", false
	}
	if secret, err = url.QueryUnescape(secret); err != nil {
		return "", "", false
	}
	return id, secret, id != ""
}
