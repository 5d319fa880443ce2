package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// FuzzParseTokenRequest feeds arbitrary headers and bodies to the token
// request parser. It must never panic, and whatever it accepts must be
// well-formed: one authentication method, credentials present, and a
// realm only when Basic was used. The seed corpus is in
// testdata/fuzz/FuzzParseTokenRequest.
func FuzzParseTokenRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "", "grant_type=client_credentials&client_id=a&client_secret=b", "")
	f.Add("application/x-www-form-urlencoded", "Basic YTpi", "grant_type=client_credentials&scope=x+y", "")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "basic YTpi", "grant_type=client_credentials&client_id=a", "")
	f.Add("application/json", "", `{"grant_type":"client_credentials"}`, "")
	f.Add("application/x-www-form-urlencoded", "", "a=%zz", "client_secret=x")
	f.Add("application/x-www-form-urlencoded", "", "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c", "")
	f.Fuzz(func(t *testing.T, contentType, authorization, body, query string) {
		target := "/realms/sandbox/protocol/openid-connect/token"
		if query != "" {
			target += "?" + strings.ReplaceAll(strings.ReplaceAll(query, " ", "+"), "#", "")
		}
		r, err := http.NewRequest(http.MethodPost, "http://x"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Content-Type", contentType)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		r.RemoteAddr = "192.0.2.1:1234"
		req, realm, oerr := parseTokenRequest(r, "sandbox")
		if oerr != nil {
			if oerr.Code == "" || oerr.Status < 400 {
				t.Fatalf("error without code or status: %+v", oerr)
			}
			return
		}
		switch req.Credentials.Method {
		case tokens.AuthClientSecretBasic:
			if realm != "sandbox" {
				t.Fatalf("basic auth without realm")
			}
		case tokens.AuthClientSecretPost:
			if realm != "" {
				t.Fatalf("post auth with realm %q", realm)
			}
		case tokens.AuthPrivateKeyJWT:
			if realm != "" || req.Credentials.Assertion == "" || req.Credentials.Secret != "" {
				t.Fatalf("assertion auth with realm %q, assertion %q, secret %q", realm, req.Credentials.Assertion, req.Credentials.Secret)
			}
		default:
			t.Fatalf("accepted request with method %q", req.Credentials.Method)
		}
		if req.Environment != "sandbox" || !req.RemoteIP.IsValid() {
			t.Fatalf("request lost its environment or address: %+v", req)
		}
	})
}

func TestParseTokenRequest(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, contentType, auth, body, query string
		wantCode, wantRealm                  string
		wantMethod, wantID, wantSecret       string
	}{
		{name: "client_secret_post is read from the body", contentType: form, body: "grant_type=client_credentials&client_id=a&client_secret=b",
			wantMethod: tokens.AuthClientSecretPost, wantID: "a", wantSecret: "b"},
		{name: "client_secret_basic is read from the header", contentType: form, auth: "Basic YTpi", body: "grant_type=client_credentials",
			wantMethod: tokens.AuthClientSecretBasic, wantID: "a", wantSecret: "b", wantRealm: "sandbox"},
		{name: "basic credentials are form-decoded (RFC 6749 2.3.1)", contentType: form, auth: "Basic YSUyMGI6YyUzQWQ=", body: "grant_type=client_credentials",
			wantMethod: tokens.AuthClientSecretBasic, wantID: "a b", wantSecret: "c:d", wantRealm: "sandbox"},
		{name: "two authentication methods are refused", contentType: form, auth: "Basic YTpi", body: "client_id=a&client_secret=b",
			wantCode: tokens.ErrInvalidRequest, wantRealm: "sandbox"},
		{name: "a repeated parameter is refused", contentType: form, body: "scope=a&scope=b&client_id=a&client_secret=b", wantCode: tokens.ErrInvalidRequest},
		{name: "a JSON body is refused", contentType: "application/json", body: `{}`, wantCode: tokens.ErrInvalidRequest},
		{name: "a secret in the query string is refused", contentType: form, body: "client_id=a", query: "client_secret=b", wantCode: tokens.ErrInvalidRequest},
		{name: "no credentials at all is invalid_client", contentType: form, body: "grant_type=client_credentials", wantCode: tokens.ErrInvalidClient},
		{name: "a Bearer header is not client authentication", contentType: form, auth: "Bearer x", body: "grant_type=client_credentials", wantCode: tokens.ErrInvalidClient},
		{name: "malformed Basic is invalid_client with a realm", contentType: form, auth: "Basic !!!", body: "", wantCode: tokens.ErrInvalidClient, wantRealm: "sandbox"},
		{name: "a malformed body is refused", contentType: form, body: "a=%zz", wantCode: tokens.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/realms/sandbox/protocol/openid-connect/token"
			if tc.query != "" {
				target += "?" + tc.query
			}
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.contentType)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			req, realm, oerr := parseTokenRequest(r, "sandbox")
			if realm != tc.wantRealm {
				t.Errorf("realm = %q, want %q", realm, tc.wantRealm)
			}
			if tc.wantCode != "" {
				if oerr == nil || oerr.Code != tc.wantCode {
					t.Fatalf("error = %v, want %s", oerr, tc.wantCode)
				}
				return
			}
			if oerr != nil {
				t.Fatalf("unexpected error %v", oerr)
			}
			c := req.Credentials
			if c.Method != tc.wantMethod || c.ClientID != tc.wantID || c.Secret != tc.wantSecret {
				t.Fatalf("credentials = %+v", c)
			}
		})
	}
}
