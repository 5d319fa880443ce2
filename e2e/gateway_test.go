package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/cli"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// upstreamEcho is an API that answers with the X-Gatehouse-* headers it
// received; /slow takes 300 ms.
func upstreamEcho(t *testing.T) *httptest.Server {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		seen := map[string][]string{}
		for name, v := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-gatehouse-") {
				seen[name] = v
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "method": r.Method, "headers": seen})
	}))
	t.Cleanup(up.Close)
	return up
}

// startGateway runs `gatehouse gateway` in-process with args until the
// test ends, and returns its base URL and a function that stops it (as
// SIGTERM does) and returns its exit code.
func startGateway(t *testing.T, args ...string) (string, func() int) {
	t.Helper()
	logs := &testenv.Logs{}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- cli.Execute(ctx, append([]string{"gateway", "--listen", "127.0.0.1:0", "--log-format", "json"}, args...), io.Discard, logs)
	}()
	addr := regexp.MustCompile(`"msg":"gateway is serving","addr":"([^"]+)"`)
	var base string
	eventually(t, 10*time.Second, func() error {
		select {
		case code := <-exit:
			t.Fatalf("gateway exited with %d: %s", code, logs.String())
		default:
		}
		if m := addr.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
			return nil
		}
		return errNotYet
	})
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-exit:
			return code
		case <-time.After(15 * time.Second):
			t.Fatal("gateway did not stop")
			return -1
		}
	}
	t.Cleanup(func() {
		stop()
		if secret := os.Getenv("GATEHOUSE_CLIENT_SECRET"); secret != "" && strings.Contains(logs.String(), secret) {
			t.Error("the gateway logged its client secret")
		}
	})
	return base, stop
}

func TestGatewayAdmitsValidTokensAndForwardsIdentity(t *testing.T) {
	s := startServer(t, app.Config{})
	rs := resourceClient(t, s)
	up := upstreamEcho(t)
	issuer := s.URL + "/realms/sandbox"
	config := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(config, []byte(`
upstream: `+up.URL+`
issuer: `+issuer+`
rules:
  - path: /ledger
    scopes: [ledger:read]
  - path: /ledger/transfers
    scopes: [ledger:write]
    methods: [POST]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GATEHOUSE_CLIENT_SECRET", rs.ClientSecret)
	base, stop := startGateway(t, "--config", config, "--client-id", rs.ClientID)

	acme := s.createClient(t, wire.CreateClientRequest{Name: "acme", Scopes: []string{"ledger:read", "ledger:write"}})
	reader := s.createClient(t, wire.CreateClientRequest{Name: "reader", Scopes: []string{"ledger:read"}})
	full := fetchToken(t, s, "sandbox", acme.ClientID, acme.ClientSecret)
	readOnly := fetchToken(t, s, "sandbox", reader.ClientID, reader.ClientSecret)

	call := func(method, path, token string, extra map[string]string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for k, v := range extra {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp, body
	}

	t.Run("identity headers are forwarded and forged ones stripped", func(t *testing.T) {
		resp, body := call("GET", "/ledger/accounts", full, map[string]string{
			"X-Gatehouse-Client-Id": "forged", "x-gatehouse-account-id": "1", "X-GATEHOUSE-SCOPE": "admin", "X-Gatehouse-Other": "forged",
		})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		got, _ := json.Marshal(body["headers"])
		want, _ := json.Marshal(map[string][]string{
			"X-Gatehouse-Account-Id": {fmt.Sprint(acme.AccountID)},
			"X-Gatehouse-Client-Id":  {acme.ClientID},
			"X-Gatehouse-Scope":      {"ledger:read ledger:write"},
		})
		if string(got) != string(want) {
			t.Fatalf("upstream saw %s, want %s", got, want)
		}
	})
	t.Run("a request without a token never reaches the upstream", func(t *testing.T) {
		resp, body := call("GET", "/ledger/accounts", "", map[string]string{"X-Gatehouse-Client-Id": "forged"})
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer realm="api"` || body["path"] != nil {
			t.Fatalf("status %d, challenge %q, body %v", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	})
	t.Run("a path rule's scope is required", func(t *testing.T) {
		resp, _ := call("POST", "/ledger/transfers", readOnly, nil)
		if resp.StatusCode != 403 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
			t.Fatalf("status %d, challenge %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if resp, body := call("POST", "/ledger/transfers", full, nil); resp.StatusCode != 200 || body["method"] != "POST" {
			t.Fatalf("full token: status %d, %v", resp.StatusCode, body)
		}
	})
	t.Run("a path rule's methods are enforced", func(t *testing.T) {
		if resp, _ := call("GET", "/ledger/transfers", full, nil); resp.StatusCode != 405 {
			t.Fatalf("status %d, want 405", resp.StatusCode)
		}
	})
	t.Run("a path with dot segments is refused", func(t *testing.T) {
		if resp, _ := call("POST", "/ledger/x/../transfers", readOnly, nil); resp.StatusCode != 400 {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("healthz and metrics are served by the gateway", func(t *testing.T) {
		if resp := getWithAuth(t, base+"/healthz", ""); resp.StatusCode != 200 {
			t.Fatalf("healthz %d", resp.StatusCode)
		}
		m := readAll(t, getWithAuth(t, base+"/metrics", ""))
		for _, want := range []string{`gatehouse_gateway_requests_total{outcome="admitted"}`, "gatehouse_verify_revocation_feed_connected 1"} {
			if !strings.Contains(m, want) {
				t.Fatalf("metrics lack %s", want)
			}
		}
	})
	t.Run("a revoked client is refused within a second", func(t *testing.T) {
		start := time.Now()
		if _, err := s.Admin.RevokeClient(context.Background(), acme.ClientID); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Second, func() error {
			if resp, _ := call("GET", "/ledger/accounts", full, nil); resp.StatusCode != 401 {
				return errNotYet
			}
			return nil
		})
		t.Logf("gateway refused the revoked client after %v", time.Since(start))
	})
	t.Run("SIGTERM lets a request in flight finish", func(t *testing.T) {
		done := make(chan int, 1)
		go func() {
			resp, _ := call("GET", "/slow", readOnly, nil)
			done <- resp.StatusCode
		}()
		time.Sleep(100 * time.Millisecond)
		if code := stop(); code != 0 {
			t.Fatalf("gateway exit code %d", code)
		}
		if status := <-done; status != 200 {
			t.Fatalf("request in flight got %d", status)
		}
	})
}
