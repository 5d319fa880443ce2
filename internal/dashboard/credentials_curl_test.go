package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// TestCurlLinesRunInAShell runs each line through sh and curl against a
// test server and checks what arrives, so quoting mistakes show.
func TestCurlLinesRunInAShell(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = r.Header.Get("Content-Type") + "|" + r.Header.Get("Authorization") + "|" + string(body)
		mu.Unlock()
	}))
	defer srv.Close()
	ep := TokenEndpoints{PublicURL: srv.URL + "/", LengowPath: "/access/get_token", LemonwayPath: "/oauth/api/v1/oauth/token"}
	// A secret with characters a shell or a form would mangle, to prove the
	// quoting (real secrets are base62).
	secret := `s3cr'et&x=1 $HOME "q"`
	lines := curlLines(ep, "sandbox", "CID123", secret, "gh_sbx_KEY")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3", len(lines))
	}
	for _, l := range lines {
		if out, err := exec.Command("sh", "-c", l.Command+" --silent --show-error").CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", l.Command, err, out)
		}
	}
	want := map[string]string{
		"/auth/realms/sandbox/protocol/openid-connect/token": "application/x-www-form-urlencoded||grant_type=client_credentials&client_id=CID123&client_secret=s3cr%27et%26x%3D1+%24HOME+%22q%22",
		"/access/get_token":         "application/x-www-form-urlencoded||access_token=CID123&secret=s3cr%27et%26x%3D1+%24HOME+%22q%22",
		"/oauth/api/v1/oauth/token": "application/x-www-form-urlencoded|basic gh_sbx_KEY|Grant_type=client_credentials",
	}
	for path, w := range want {
		if got[path] != w {
			t.Errorf("%s received %q, want %q", path, got[path], w)
		}
	}
}

func TestCurlLinesFollowTheDialectSwitches(t *testing.T) {
	lines := curlLines(TokenEndpoints{PublicURL: "https://auth.example.com"}, "production", "CID", "SECRET", "gh_prd_KEY")
	if len(lines) != 1 || lines[0].ID != "curl-keycloak" ||
		!strings.Contains(lines[0].Command, "'https://auth.example.com/auth/realms/production/protocol/openid-connect/token'") {
		t.Fatalf("with both legacy dialects off got %+v, want only the Keycloak-style line", lines)
	}
	lines = curlLines(TokenEndpoints{PublicURL: "https://auth.example.com", LemonwayPath: "/lw"}, "production", "CID", "SECRET", "")
	if len(lines) != 1 {
		t.Fatalf("without an API key the Lemonway-style line cannot be written; got %+v", lines)
	}
}
