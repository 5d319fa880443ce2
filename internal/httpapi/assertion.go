package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// assertionCredentials reads private_key_jwt client authentication (RFC 7523
// §2.2): client_assertion_type and client_assertion in the body, and
// optionally client_id, which must then name the assertion's issuer (the
// core checks that). An assertion next to a secret or an Authorization
// header is two methods in one request: invalid_request. The second result
// is true when the request carried Basic credentials.
func assertionCredentials(r *http.Request, form url.Values) (tokens.Credentials, bool, *tokens.Error) {
	auth := r.Header.Get("Authorization")
	scheme, _, _ := strings.Cut(auth, " ")
	basic := strings.EqualFold(scheme, "Basic")
	switch {
	case auth != "" || form.Has("client_secret"):
		return tokens.Credentials{}, basic, tokens.NewError(tokens.ErrInvalidRequest, "use one client authentication method per request")
	case form.Get("client_assertion_type") == "":
		return tokens.Credentials{}, false, tokens.NewError(tokens.ErrInvalidRequest, "client_assertion_type is required with client_assertion")
	case form.Get("client_assertion") == "":
		return tokens.Credentials{}, false, tokens.NewError(tokens.ErrInvalidRequest, "client_assertion is required with client_assertion_type")
	case form.Get("client_assertion_type") != tokens.AssertionTypeJWTBearer:
		return tokens.Credentials{}, false, tokens.NewError(tokens.ErrInvalidClient, "client_assertion_type must be %s", tokens.AssertionTypeJWTBearer)
	}
	return tokens.Credentials{
		Method:    tokens.AuthPrivateKeyJWT,
		ClientID:  form.Get("client_id"),
		Assertion: form.Get("client_assertion"),
	}, false, nil
}
