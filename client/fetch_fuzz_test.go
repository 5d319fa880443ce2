package client

import (
	"net/http"
	"testing"
	"time"
)

// FuzzAnswer feeds arbitrary token answers to the parsers of every dialect:
// they return a token or an error, never panic, and a token is never empty.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"a","token_type":"Bearer","expires_in":300}`,
		`{"token":"t","account_id":1,"user_id":null}`,
		`{"token_Type":"Bearer","access_token":"x","expires_in":"7776000"}`,
		`{"error":"invalid_client","error_description":"no"}`,
		`{"error":{"code":401,"message":"Unauthorized"}}`,
		`{"expires_in":-1}`, `null`, `[]`, ``,
	} {
		f.Add(s, "2")
	}
	f.Fuzz(func(t *testing.T, body, retryAfter string) {
		now := time.Unix(1_700_000_000, 0)
		for _, d := range []Dialect{Standard, Lengow, Lemonway} {
			c := &Config{Dialect: d, DefaultLifetime: time.Hour}
			if got, err := c.parseAnswer([]byte(body)); err == nil && (got.token.AccessToken == "" || got.lifetime <= 0) {
				t.Fatalf("%s: token %+v with lifetime %s from %q", d, got.token, got.lifetime, body)
			}
			resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {retryAfter}}}
			err := c.refusal(resp, []byte(body), now)
			re, ok := err.(*RetrieveError)
			if !ok || re.RetryAfter < 0 || re.RetryAfter > maxRetryAfter || len(re.ErrorDescription) > 204 {
				t.Fatalf("%s: refusal %#v", d, err)
			}
		}
	})
}
