package httpapi

import (
	"encoding/json"
	"testing"
)

func TestDecodeLengowJSON(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
		id, secret string
	}{
		{"both members", `{"access_token":"id","secret":"s"}`, true, "id", "s"},
		{"other members are ignored", `{"access_token":"id","secret":"s","extra":[1,{"a":2}]}`, true, "id", "s"},
		{"null is absent", `{"access_token":null,"secret":"s"}`, true, "", "s"},
		{"access_token twice", `{"access_token":"x","access_token":"id","secret":"s"}`, false, "", ""},
		{"secret twice", `{"access_token":"id","secret":"a","secret":"b"}`, false, "", ""},
		{"twice in another letter case", `{"access_token":"id","SECRET":"a","secret":"b"}`, false, "", ""},
		{"an ignored member twice", `{"access_token":"id","secret":"s","x":1,"x":2}`, false, "", ""},
		{"a number for the secret", `{"access_token":"id","secret":1}`, false, "", ""},
		{"an array", `["access_token","id"]`, false, "", ""},
		{"a second object after the first", `{"access_token":"id","secret":"s"}{}`, false, "", ""},
		{"truncated", `{"access_token":"id","secret":"s"`, false, "", ""},
		{"empty", ``, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, oerr := decodeLengowJSON([]byte(tc.body))
			if (oerr == nil) != tc.ok {
				t.Fatalf("error %v, want ok=%v", oerr, tc.ok)
			}
			if tc.ok && (v.Get("access_token") != tc.id || v.Get("secret") != tc.secret) {
				t.Fatalf("got %v, want access_token %q secret %q", v, tc.id, tc.secret)
			}
		})
	}
}

// FuzzDecodeLengowJSON checks that the decoder never panics and that what
// it accepts, encoding/json reads the same way.
func FuzzDecodeLengowJSON(f *testing.F) {
	for _, seed := range []string{
		`{"access_token":"id","secret":"s"}`, `{"access_token":"x","access_token":"id","secret":"s"}`,
		`{"Secret":null}`, `{"a":{"b":[1,2,"c"]},"secret":"\u00e9"}`, `{}`, `[]`, `{"secret":"s"} x`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, oerr := decodeLengowJSON(body)
		if oerr != nil {
			return
		}
		var want struct {
			AccessToken *string `json:"access_token"`
			Secret      *string `json:"secret"`
		}
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		deref := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		if v.Get("access_token") != deref(want.AccessToken) || v.Get("secret") != deref(want.Secret) {
			t.Fatalf("%q: got %v, encoding/json reads %q %q", body, v, deref(want.AccessToken), deref(want.Secret))
		}
	})
}
