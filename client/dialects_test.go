package client_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/client"
)

func TestEachDialectSendsItsRequestAndReadsItsAnswer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      client.Config
		answer   string
		check    func(t *testing.T, r *http.Request)
		want     string
		wantType string
		lifetime time.Duration
	}{
		{
			name: "standard with client_secret_basic form-encodes both parts before Basic",
			cfg:  client.Config{ClientID: "id:1", ClientSecret: "s%cret/+", Scopes: []string{"ledger:read", "ledger:write"}, Audience: "https://api"},
			check: func(t *testing.T, r *http.Request) {
				id, secret, ok := r.BasicAuth()
				if !ok || id != "id%3A1" || secret != "s%25cret%2F%2B" {
					t.Errorf("basic %q %q %v", id, secret, ok)
				}
				wantForm(t, r, "grant_type=client_credentials&scope=ledger:read ledger:write&audience=https://api")
			},
			answer: `{"access_token":"A","token_type":"bearer","expires_in":300,"scope":"ledger:read"}`,
			want:   "A", wantType: "Bearer", lifetime: 300 * time.Second,
		},
		{
			name: "standard with client_secret_post puts the credentials in the form",
			cfg:  client.Config{ClientID: "id", ClientSecret: "secret", AuthMethod: client.ClientSecretPost},
			check: func(t *testing.T, r *http.Request) {
				if r.Header.Get("Authorization") != "" {
					t.Error("an Authorization header with client_secret_post")
				}
				wantForm(t, r, "grant_type=client_credentials&client_id=id&client_secret=secret")
			},
			answer: `{"access_token":"B","token_type":"Bearer","expires_in":"60"}`,
			want:   "B", wantType: "Bearer", lifetime: time.Minute,
		},
		{
			name: "lengow sends access_token and secret and assumes an hour",
			cfg:  client.Config{Dialect: client.Lengow, ClientID: "id", ClientSecret: "secret"},
			check: func(t *testing.T, r *http.Request) {
				if r.Header.Get("Authorization") != "" {
					t.Error("an Authorization header in the Lengow dialect")
				}
				wantForm(t, r, "access_token=id&secret=secret")
			},
			answer: `{"token":"C","account_id":42,"user_id":null}`,
			want:   "C", wantType: "", lifetime: time.Hour,
		},
		{
			name: "lemonway sends the api key after basic and Grant_type",
			cfg:  client.Config{Dialect: client.Lemonway, APIKey: "gh_sbx_key"},
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != "basic gh_sbx_key" {
					t.Errorf("Authorization %q", got)
				}
				wantForm(t, r, "Grant_type=client_credentials")
			},
			answer: `{"token_Type":"Bearer","access_token":"D","expires_in":7776000}`,
			want:   "D", wantType: "Bearer", lifetime: 90 * 24 * time.Hour,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTokenServer(t, 0)
			srv.enqueue(reply{status: 200, body: tc.answer})
			clk := newClock()
			cfg := tc.cfg
			cfg.TokenURL, cfg.Now = srv.URL+"/token", clk.Now
			src, err := client.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := src.Token()
			if err != nil {
				t.Fatal(err)
			}
			r := srv.lastRequest()
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.URL.RawQuery != "" {
				t.Errorf("%s with %q and query %q", r.Method, r.Header.Get("Content-Type"), r.URL.RawQuery)
			}
			tc.check(t, r)
			if tok.AccessToken != tc.want || tok.TokenType != tc.wantType || !tok.Expiry.Equal(clk.Now().Add(tc.lifetime)) {
				t.Errorf("token %q type %q expiry %s, want %q %q %s", tok.AccessToken, tok.TokenType, tok.Expiry, tc.want, tc.wantType, clk.Now().Add(tc.lifetime))
			}
		})
	}
}

// wantForm fails unless r's form is exactly want (unescaped k=v pairs).
func wantForm(t *testing.T, r *http.Request, want string) {
	t.Helper()
	var got []string
	for k, vs := range r.PostForm {
		for _, v := range vs {
			got = append(got, k+"="+v)
		}
	}
	wantPairs := strings.Split(want, "&")
	if len(got) != len(wantPairs) {
		t.Fatalf("form %v, want %s", r.PostForm, want)
	}
	for _, p := range wantPairs {
		k, v, _ := strings.Cut(p, "=")
		if r.PostForm.Get(k) != v {
			t.Fatalf("form %v, want %s", r.PostForm, want)
		}
	}
}

func TestLengowAnswerFieldsAreExtras(t *testing.T) {
	srv := newTokenServer(t, 0)
	srv.enqueue(reply{status: 200, body: `{"token":"C","account_id":42,"user_id":null}`})
	src, err := client.New(client.Config{Dialect: client.Lengow, TokenURL: srv.URL, ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := tok.Extra("account_id").(float64); id != 42 {
		t.Fatalf("account_id %v", tok.Extra("account_id"))
	}
}

func TestRefusalsCarryTheErrorCode(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dialect client.Dialect
		rep     reply
		code    string
		desc    string
	}{
		{"a standard 401 carries invalid_client", client.Standard, reply{status: 401, body: `{"error":"invalid_client","error_description":"client authentication failed"}`}, "invalid_client", "client authentication failed"},
		{"a standard 400 carries invalid_scope", client.Standard, reply{status: 400, body: `{"error":"invalid_scope"}`}, "invalid_scope", ""},
		{"a lengow 401 gets invalid_client from its status", client.Lengow, reply{status: 401, body: `{"error":{"code":401,"message":"Unauthorized"}}`}, "invalid_client", "Unauthorized"},
		{"a lengow 429 gets slow_down from its status", client.Lengow, reply{status: 429, body: `not json`}, "slow_down", ""},
		{"a proxy's HTML 502 has no code", client.Standard, reply{status: 502, body: `<html>bad gateway</html>`}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTokenServer(t, 0)
			srv.enqueue(tc.rep)
			src, err := client.New(client.Config{Dialect: tc.dialect, TokenURL: srv.URL, ClientID: "id", ClientSecret: "not-in-errors"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Token()
			var re *client.RetrieveError
			if !errors.As(err, &re) || re.StatusCode != tc.rep.status || re.ErrorCode != tc.code || re.ErrorDescription != tc.desc {
				t.Fatalf("%#v, want %d %q %q", err, tc.rep.status, tc.code, tc.desc)
			}
			if strings.Contains(err.Error(), "not-in-errors") {
				t.Fatal("the secret is in the error")
			}
			if want := tc.rep.status == 429 || tc.rep.status >= 500; re.Temporary() != want {
				t.Fatalf("Temporary() = %v for %d", re.Temporary(), tc.rep.status)
			}
			// The next call, inside the backoff, sends nothing and says why.
			_, err = src.Token()
			var be *client.BackoffError
			if !errors.As(err, &be) || !errors.As(err, &re) || re.StatusCode != tc.rep.status || !strings.Contains(err.Error(), "next token request at") {
				t.Fatalf("inside the backoff: %v", err)
			}
			if n := srv.requests.Load(); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
}

func TestAnswersWithoutATokenAreErrors(t *testing.T) {
	for _, body := range []string{`{}`, `{"access_token":""}`, `[1]`, `{"access_token":"x","expires_in":"soon"}`, strings.Repeat(" ", 2<<20)} {
		srv := newTokenServer(t, 0)
		srv.enqueue(reply{status: 200, body: body})
		src, err := client.New(client.Config{TokenURL: srv.URL, ClientID: "id", ClientSecret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := src.Token(); err == nil {
			t.Errorf("answer %.40q gave token %q", body, tok.AccessToken)
		}
	}
}

func TestConfigIsChecked(t *testing.T) {
	ok := client.Config{TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: "s"}
	for _, tc := range []struct {
		name string
		edit func(*client.Config)
	}{
		{"no token URL", func(c *client.Config) { c.TokenURL = "" }},
		{"a relative token URL", func(c *client.Config) { c.TokenURL = "/token" }},
		{"credentials in the token URL's query", func(c *client.Config) { c.TokenURL += "?client_secret=x" }},
		{"no client id", func(c *client.Config) { c.ClientID = "" }},
		{"no secret for client_secret_post", func(c *client.Config) { c.ClientSecret, c.AuthMethod = "", client.ClientSecretPost }},
		{"private_key_jwt without a signer", func(c *client.Config) { c.AuthMethod = client.PrivateKeyJWT }},
		{"lemonway without an api key", func(c *client.Config) { c.Dialect = client.Lemonway }},
		{"an unknown dialect", func(c *client.Config) { c.Dialect = 7 }},
		{"refresh after expiry", func(c *client.Config) { c.RefreshAt = 1.5 }},
		{"max backoff below min", func(c *client.Config) { c.MinBackoff, c.MaxBackoff = time.Minute, time.Second }},
		{"a negative margin", func(c *client.Config) { c.ExpiryMargin = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			if _, err := client.New(cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := client.New(ok); err != nil {
		t.Fatalf("a minimal config: %v", err)
	}
}

func TestTheDefaultHTTPClientFollowsNoRedirect(t *testing.T) {
	elsewhere := newTokenServer(t, 300)
	srv := newTokenServer(t, 300)
	srv.failing(&reply{status: http.StatusTemporaryRedirect, header: map[string]string{"Location": elsewhere.URL + "/steal"}})
	src, err := client.New(client.Config{TokenURL: srv.URL, ClientID: "id", ClientSecret: "s", AuthMethod: client.ClientSecretPost})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Token()
	var re *client.RetrieveError
	if !errors.As(err, &re) || re.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("%v, want the 307 as a RetrieveError", err)
	}
	if n := elsewhere.requests.Load(); n != 0 {
		t.Fatalf("the credentials followed the redirect (%d requests)", n)
	}
}
