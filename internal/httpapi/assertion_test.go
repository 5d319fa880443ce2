package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

func TestAssertionCredentials(t *testing.T) {
	const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	for _, tc := range []struct {
		name      string
		form      url.Values
		basic     bool
		wantCode  string
		wantID    string
		wantRealm string
	}{
		{name: "an assertion with its type is private_key_jwt",
			form: url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {"a.b.c"}}},
		{name: "a client_id next to the assertion is passed on for the core to match",
			form: url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {"a.b.c"}, "client_id": {"c1"}}, wantID: "c1"},
		{name: "an assertion with Basic credentials is two methods",
			form: url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {"a.b.c"}}, basic: true,
			wantCode: tokens.ErrInvalidRequest, wantRealm: "sandbox"},
		{name: "an assertion with a client_secret is two methods",
			form:     url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {"a.b.c"}, "client_secret": {"s"}},
			wantCode: tokens.ErrInvalidRequest},
		{name: "an assertion without its type is invalid_request",
			form: url.Values{"client_assertion": {"a.b.c"}}, wantCode: tokens.ErrInvalidRequest},
		{name: "a type without an assertion is invalid_request",
			form: url.Values{"client_assertion_type": {jwtBearer}}, wantCode: tokens.ErrInvalidRequest},
		{name: "an unsupported assertion type is invalid_client",
			form:     url.Values{"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:saml2-bearer"}, "client_assertion": {"x"}},
			wantCode: tokens.ErrInvalidClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := tc.form
			form.Set("grant_type", "client_credentials")
			r, _ := http.NewRequest(http.MethodPost, "http://x/realms/sandbox/protocol/openid-connect/token", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.basic {
				r.SetBasicAuth("c1", "s")
			}
			r.RemoteAddr = "192.0.2.1:1234"
			req, realm, oerr := parseTokenRequest(r, "sandbox")
			if realm != tc.wantRealm {
				t.Errorf("realm %q, want %q", realm, tc.wantRealm)
			}
			if tc.wantCode != "" {
				if oerr == nil || oerr.Code != tc.wantCode {
					t.Fatalf("error %+v, want %s", oerr, tc.wantCode)
				}
				return
			}
			if oerr != nil {
				t.Fatalf("error %v", oerr)
			}
			cr := req.Credentials
			if cr.Method != tokens.AuthPrivateKeyJWT || cr.Assertion != "a.b.c" || cr.ClientID != tc.wantID || cr.Secret != "" {
				t.Fatalf("credentials %+v", cr)
			}
		})
	}
}
