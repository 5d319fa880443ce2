package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// tokenEndpoint is a fake token endpoint that knows one client.
type tokenEndpoint struct {
	t        *testing.T
	lastForm url.Values
	lastAuth string // "basic" or "post"
}

const (
	testClientID     = "3fJ9kQ2xVb7LmN0pR5sT"
	testClientSecret = "s3cr3t+/="
	tokenAnswerBody  = `{"access_token":"eyJ.payload.sig","token_type":"Bearer","expires_in":300,"refresh_expires_in":0,"not-before-policy":0,"scope":"ledger:read ledger:write"}`
)

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/realms/sandbox/protocol/openid-connect/token" {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"invalid_request","error_description":"unknown environment"}`))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		e.t.Errorf("Content-Type %q", ct)
	}
	r.ParseForm()
	e.lastForm = r.PostForm
	id, secret, basic := r.BasicAuth()
	if basic {
		e.lastAuth = "basic"
		// RFC 6749 §2.3.1: form-encoded before Basic encoding.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		e.lastAuth = "post"
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if r.PostForm.Get("grant_type") != "client_credentials" || id != testClientID || secret != testClientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"invalid_client","error_description":"client authentication failed"}`))
		return
	}
	w.Write([]byte(tokenAnswerBody))
}

func TestTokenCommand(t *testing.T) {
	ep := &tokenEndpoint{t: t}
	srv := httptest.NewServer(ep)
	defer srv.Close()
	clearEnv(t)
	base := []string{"token", "--server", srv.URL, "--env", "sandbox", "--client-id", testClientID}

	t.Run("a token is fetched with client_secret_basic and printed for humans", func(t *testing.T) {
		out, _ := mustRun(t, append(base, "--client-secret", testClientSecret, "--scope", "ledger:read", "--scope", "ledger:write")...)
		if ep.lastAuth != "basic" || ep.lastForm.Get("scope") != "ledger:read ledger:write" || ep.lastForm.Has("client_secret") {
			t.Errorf("request: auth %s, form %v", ep.lastAuth, ep.lastForm)
		}
		for _, want := range []string{"access_token:", "eyJ.payload.sig", "token_type:", "Bearer", "expires_in:", "300", "scope:", "ledger:read ledger:write"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("--auth post sends the credential in the body and --json prints the answer as is", func(t *testing.T) {
		out, _ := mustRun(t, append(base, "--client-secret", testClientSecret, "--auth", "post", "--json")...)
		if ep.lastAuth != "post" || ep.lastForm.Get("client_id") != testClientID {
			t.Errorf("request: auth %s, form %v", ep.lastAuth, ep.lastForm)
		}
		if strings.TrimSpace(out) != tokenAnswerBody {
			t.Errorf("output %s", out)
		}
		if !json.Valid([]byte(out)) {
			t.Error("output is not JSON")
		}
	})
	t.Run("the secret may come from GATEHOUSE_CLIENT_SECRET", func(t *testing.T) {
		t.Setenv("GATEHOUSE_CLIENT_SECRET", testClientSecret)
		out, _ := mustRun(t, base...)
		if !strings.Contains(out, "eyJ.payload.sig") {
			t.Errorf("output %s", out)
		}
	})
	t.Run("an OAuth error is printed as error: description with a non-zero exit", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := Execute(context.Background(), append(base, "--client-secret", "wrong"), &out, &errOut)
		if code == 0 {
			t.Error("exit code 0")
		}
		if !strings.Contains(errOut.String(), "invalid_client: client authentication failed") {
			t.Errorf("stderr %q", errOut.String())
		}
		if out.Len() != 0 {
			t.Errorf("stdout %q", out.String())
		}
	})
	t.Run("an unknown environment reports the endpoint's error", func(t *testing.T) {
		_, _, err := run(t, "token", "--server", srv.URL, "--env", "staging", "--client-id", testClientID, "--client-secret", testClientSecret)
		if err == nil || !strings.Contains(err.Error(), "invalid_request: unknown environment") {
			t.Errorf("err = %v", err)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"a missing secret is refused before any request", []string{"token", "--server", srv.URL, "--client-id", testClientID}, "--client-secret"},
		{"a missing client id is refused", []string{"token", "--server", srv.URL, "--client-secret", "x"}, "--client-id"},
		{"an unknown auth method is refused", append(base, "--client-secret", "x", "--auth", "jwt"), "--auth"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := run(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %s", err, tt.want)
			}
		})
	}
	t.Run("a server that is not a token endpoint is reported", func(t *testing.T) {
		html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
		}))
		defer html.Close()
		_, _, err := run(t, "token", "--server", html.URL, "--client-id", testClientID, "--client-secret", "x")
		if err == nil || !strings.Contains(err.Error(), "502") {
			t.Errorf("err = %v", err)
		}
	})
}
