package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// answer is what a token request got back.
type answer struct {
	status     int
	retryAfter string
	err        string // the OAuth error code
	token      string
}

// requestToken asks env's token endpoint for a token with Basic
// credentials; a non-empty forwardedFor is sent as X-Forwarded-For.
func requestToken(t *testing.T, s *server, env, id, secret, forwardedFor string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.tokenURL(env), strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error       string `json:"error"`
		AccessToken string `json:"access_token"`
	}
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &body)
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), err: body.Error, token: body.AccessToken}
}

// behindProxy is a configuration in which 127.0.0.1 (the tests) is a
// trusted proxy, so X-Forwarded-For makes requests come from any address.
func behindProxy() app.Config {
	return app.Config{Protection: app.ProtectionConfig{TrustedProxies: []string{"127.0.0.1/32"}}}
}

// setLimits sets env's rate limits through the admin API.
func setLimits(t *testing.T, s *server, env string, l wire.RateLimits) {
	t.Helper()
	body := fmt.Sprintf(`{"rate_limits":{"client_per_minute":%d,"client_burst":%d,"ip_per_minute":%d,"ip_burst":%d}}`,
		l.ClientPerMinute, l.ClientBurst, l.IPPerMinute, l.IPBurst)
	req, _ := http.NewRequest(http.MethodPatch, s.URL+"/admin/v1/environments/"+env, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.AdminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("set rate limits: %d %s", resp.StatusCode, b)
	}
}

// metric returns the value of one sample of the server's /metrics, 0 if
// it is absent.
func metric(t *testing.T, s *server, sample string) float64 {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", sample, err)
			}
			return f
		}
	}
	return 0
}

// auditEvents returns the events matching q once at least n are stored
// (the recorder writes in batches, about every second).
func auditEvents(t *testing.T, s *server, q adminclient.AuditQuery, n int) []wire.AuditEvent {
	t.Helper()
	var events []wire.AuditEvent
	eventually(t, 5*time.Second, func() error {
		q.Limit = 500
		page, err := s.Admin.AuditEvents(context.Background(), q)
		if err != nil {
			return err
		}
		events = page.Items
		if len(events) < n {
			return fmt.Errorf("%d audit events of %+v, want %d", len(events), q, n)
		}
		return nil
	})
	return events
}

func TestBruteForceEndsInABanWhileAnotherAddressIsServed(t *testing.T) {
	s := startServer(t, behindProxy())
	c := s.createClient(t, wire.CreateClientRequest{})
	const attacker, bystander = "198.51.100.66", "198.51.100.20"

	counts := map[int]int{}
	firstBan := -1
	for i := range 300 {
		a := requestToken(t, s, "sandbox", c.ClientID, fmt.Sprintf("wrong-secret-%03d", i), attacker)
		counts[a.status]++
		if a.status == 429 && firstBan < 0 {
			firstBan = i
			if a.err != "slow_down" || a.retryAfter != "900" {
				t.Errorf("the first refusal is %+v, want slow_down with Retry-After 900 (the 15-minute ban)", a)
			}
		}
		if i%50 == 0 { // the bystander is served all along
			if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, bystander); a.status != 200 {
				t.Fatalf("after %d wrong secrets from %s, %s got %+v", i+1, attacker, bystander, a)
			}
		}
	}
	// 20 failures are within the threshold, the 21st earns the ban, and
	// every later request is refused before its credentials are looked at.
	if counts[401] != 21 || counts[429] != 279 || firstBan != 21 {
		t.Fatalf("300 wrong secrets got %v (first 429 at %d); want 21×401 then 279×429", counts, firstBan)
	}
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, attacker); a.status != 429 || a.err != "slow_down" {
		t.Fatalf("the banned address with the right secret got %+v, want 429 slow_down", a)
	}
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, bystander); a.status != 200 {
		t.Fatalf("the bystander got %+v after the ban", a)
	}

	list, err := s.Admin.Bans(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Subject != attacker || list[0].Reason != "brute_force" || list[0].Environment != "sandbox" {
		t.Fatalf("bans %+v, want one brute_force ban of %s", list, attacker)
	}
	failures := auditEvents(t, s, adminclient.AuditQuery{Action: gatehouse.ActionAuthFailure}, 21)
	if len(failures) != 21 || failures[0].SourceIP != attacker || failures[0].Object != "client:"+c.ClientID || failures[0].Outcome != "failure" {
		t.Fatalf("auth failure events: %d, first %+v", len(failures), failures[0])
	}
	bans := auditEvents(t, s, adminclient.AuditQuery{Action: gatehouse.ActionIPBanned}, 1)
	if bans[0].Object != "ip:"+attacker || bans[0].Environment != "sandbox" {
		t.Fatalf("ban event %+v", bans[0])
	}
	for sample, want := range map[string]float64{
		`gatehouse_bans_total{reason="brute_force"}`:                         1,
		`gatehouse_active_bans`:                                              1,
		`gatehouse_auth_failures_total{environment="sandbox"}`:               21,
		`gatehouse_rate_limited_total{environment="sandbox",limit="banned"}`: 280,
	} {
		if got := metric(t, s, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}

	// Lifting the ban lets the address in again at once.
	if err := s.Admin.LiftBan(context.Background(), attacker); err != nil {
		t.Fatal(err)
	}
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, attacker); a.status != 200 {
		t.Fatalf("after the ban was lifted the address got %+v", a)
	}
}

func TestABanExpires(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	cfg := app.Config{Protection: app.ProtectionConfig{
		BruteForce: app.Threshold{Count: 3, Window: time.Minute}, BanDuration: 5 * time.Minute,
	}}
	s := startServerWith(t, cfg, func(m *app.Main) { m.Now = clock.Now })
	c := s.createClient(t, wire.CreateClientRequest{})
	for range 4 {
		requestToken(t, s, "sandbox", c.ClientID, "wrong", "")
	}
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); a.status != 429 || a.retryAfter != "300" {
		t.Fatalf("after 4 failures with a threshold of 3 the right secret got %+v, want 429 with Retry-After 300", a)
	}
	clock.Add(5*time.Minute - time.Second)
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); a.status != 429 || a.retryAfter != "1" {
		t.Fatalf("a second before the ban ends the client got %+v, want 429 with Retry-After 1", a)
	}
	clock.Add(time.Second)
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); a.status != 200 {
		t.Fatalf("when the ban ended the client got %+v, want a token", a)
	}
	if list, _ := s.Admin.Bans(context.Background()); len(list) != 0 {
		t.Fatalf("an expired ban is still listed: %+v", list)
	}
}

func TestSpoofedForwardedForCannotDodgeABan(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  app.Config
	}{
		{"without trusted proxies", app.Config{}},
		{"when the peer is not one of the trusted proxies", app.Config{Protection: app.ProtectionConfig{TrustedProxies: []string{"10.0.0.0/8"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Protection.BruteForce = app.Threshold{Count: 3, Window: time.Minute}
			s := startServer(t, tc.cfg)
			c := s.createClient(t, wire.CreateClientRequest{})
			for i := range 4 {
				// Each guess claims another address; all come from 127.0.0.1.
				requestToken(t, s, "sandbox", c.ClientID, "wrong", fmt.Sprintf("203.0.113.%d", i+1))
			}
			for _, spoof := range []string{"", "203.0.113.99", "198.51.100.1, 203.0.113.98"} {
				if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, spoof); a.status != 429 {
					t.Fatalf("X-Forwarded-For %q got %+v, want the ban of 127.0.0.1 to hold", spoof, a)
				}
			}
			list, _ := s.adminFrom(t, "127.0.0.2").Bans(context.Background()) // the banned address is refused by the admin API too
			if len(list) != 1 || list[0].Subject != "127.0.0.1" {
				t.Fatalf("bans %+v, want 127.0.0.1 (the real peer)", list)
			}
		})
	}
}

func TestRateLimitsPerClientAndPerAddress(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()} // time stands still: nothing refills unless the test says so
	cfg := behindProxy()
	cfg.Protection.UsageInterval = 100 * time.Millisecond
	s := startServerWith(t, cfg, func(m *app.Main) { m.Now = clock.Now })
	setLimits(t, s, "sandbox", wire.RateLimits{ClientPerMinute: 60, ClientBurst: 3, IPPerMinute: 60, IPBurst: 5})
	a := s.createClient(t, wire.CreateClientRequest{Name: "a"})
	b := s.createClient(t, wire.CreateClientRequest{Name: "b"})
	const ip1, ip2 = "198.51.100.1", "198.51.100.2"
	steps := []struct {
		what   string
		client *wire.ClientWithSecret
		from   string
		want   int
	}{
		{"a's 1st request", a, ip1, 200},
		{"a's 2nd request", a, ip1, 200},
		{"a's 3rd request", a, ip1, 200},
		{"a's 4th request, over its client burst of 3", a, ip1, 429},
		{"b's 1st request, the 5th from ip1", b, ip1, 200},
		{"b's 2nd request, the 6th from ip1, over the address burst of 5", b, ip1, 429},
		{"b's 3rd request, from another address", b, ip2, 200},
		{"b's 4th request", b, ip2, 200},
		{"b's 5th request, over its client burst", b, ip2, 429},
	}
	for _, st := range steps {
		got := requestToken(t, s, "sandbox", st.client.ClientID, st.client.ClientSecret, st.from)
		if got.status != st.want {
			t.Fatalf("%s: %+v, want %d", st.what, got, st.want)
		}
		if got.status == 429 && (got.err != "slow_down" || got.retryAfter != "1") {
			t.Fatalf("%s: %+v, want slow_down with Retry-After 1 (60 a minute)", st.what, got)
		}
	}
	clock.Add(time.Second) // one request's worth comes back everywhere
	if got := requestToken(t, s, "sandbox", a.ClientID, a.ClientSecret, ip2); got.status != 200 {
		t.Fatalf("a second later a got %+v", got)
	}
	if got := requestToken(t, s, "sandbox", a.ClientID, a.ClientSecret, ip2); got.status != 429 {
		t.Fatalf("two requests after one second: %+v, want 429", got)
	}
	for sample, want := range map[string]float64{
		`gatehouse_rate_limited_total{environment="sandbox",limit="client"}`:                           3,
		`gatehouse_rate_limited_total{environment="sandbox",limit="ip"}`:                               1,
		`gatehouse_token_requests_total{dialect="standard",environment="sandbox",outcome="success"}`:   7,
		`gatehouse_token_requests_total{dialect="standard",environment="sandbox",outcome="slow_down"}`: 4,
	} {
		if got := metric(t, s, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	if n := metric(t, s, `gatehouse_token_request_duration_seconds_count{dialect="standard",environment="sandbox"}`); n != 11 {
		t.Errorf("latency histogram counted %v requests, want 11", n)
	}
	// Usage is counted per client in memory and written in batches.
	eventually(t, 5*time.Second, func() error {
		u, err := s.Admin.ClientUsage(context.Background(), a.ClientID)
		if err != nil {
			return err
		}
		if u.Tokens != 4 || u.LastUsedAt == nil {
			return fmt.Errorf("usage of a: %+v, want 4 tokens", u)
		}
		return nil
	})
}

func TestAllowlists(t *testing.T) {
	s := startServer(t, behindProxy())
	c := s.createClient(t, wire.CreateClientRequest{AllowedCIDRs: []string{"203.0.113.0/24", "2001:db8::/32"}})
	for _, tc := range []struct {
		from string
		want int
	}{
		{"203.0.113.5", 200},
		{"2001:db8:7::1", 200},
		{"198.51.100.5", 401},
		{"", 401}, // 127.0.0.1 itself
	} {
		if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, tc.from); a.status != tc.want || (tc.want == 401 && a.err != "invalid_client") {
			t.Errorf("from %q: %+v, want %d", tc.from, a, tc.want)
		}
	}
	events := auditEvents(t, s, adminclient.AuditQuery{Action: gatehouse.ActionAllowlistDenied}, 2)
	if len(events) != 2 || events[0].SourceIP != "198.51.100.5" || events[1].SourceIP != "127.0.0.1" ||
		events[0].Object != "client:"+c.ClientID || events[0].Outcome != "denied" || events[0].Environment != "sandbox" {
		t.Fatalf("allowlist events %+v", events)
	}
}

// redisURL returns the test Redis, or skips t.
func redisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("GATEHOUSE_TEST_REDIS")
	if u == "" {
		t.Skipf("GATEHOUSE_TEST_REDIS is not set; skipping the Redis end-to-end tests")
	}
	return u
}

// randomRedisPrefix keeps one test's Redis keys from another's.
func randomRedisPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "gatehouse-e2e-" + hex.EncodeToString(b) + ":"
}

func TestTwoServersSharingRedisEnforceOneLimit(t *testing.T) {
	cfg := app.Config{Database: testenv.PostgresSchema(t), Redis: redisURL(t), PublicURL: "https://auth.example.com"}
	cfg.Protection.RedisPrefix = randomRedisPrefix()
	a := startServer(t, cfg)
	// One request a minute and a burst of 10: nothing comes back during the test.
	setLimits(t, a, "sandbox", wire.RateLimits{ClientPerMinute: 1, ClientBurst: 10, IPPerMinute: 0})
	c := a.createClient(t, wire.CreateClientRequest{})
	b := startServer(t, cfg) // loads the client and the limits at start
	b.AdminKey, b.Admin = a.AdminKey, adminclient.New(b.URL, a.AdminKey, nil)
	served := map[string]int{}
	for i := range 30 {
		s, name := a, "a"
		if i%2 == 1 {
			s, name = b, "b"
		}
		if got := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); got.status == 200 {
			served[name]++
		}
	}
	if served["a"]+served["b"] != 10 || served["a"] == 0 || served["b"] == 0 {
		t.Fatalf("two servers served %v of 30 requests, want one shared burst of 10 across both", served)
	}

	// A ban made on one server holds on the other.
	for range 25 {
		requestToken(t, a, "sandbox", c.ClientID, "wrong", "")
	}
	if got := requestToken(t, b, "sandbox", c.ClientID, c.ClientSecret, ""); got.status != 429 {
		t.Fatalf("server b answered %+v after server a banned 127.0.0.1", got)
	}
	list, err := b.adminFrom(t, "127.0.0.2").Bans(context.Background()) // the banned address is refused by the admin API too
	if err != nil || len(list) != 1 {
		t.Fatalf("bans seen through b: %+v, %v", list, err)
	}
}

func TestRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "redis://" + ln.Addr().String() + "/0"
	ln.Close()

	t.Run("limits fall back to each server with a warning", func(t *testing.T) {
		s := startServer(t, app.Config{Redis: dead})
		setLimits(t, s, "sandbox", wire.RateLimits{ClientPerMinute: 1, ClientBurst: 2, IPPerMinute: 0})
		c := s.createClient(t, wire.CreateClientRequest{})
		var got []int
		for range 3 {
			got = append(got, requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, "").status)
		}
		if fmt.Sprint(got) != "[200 200 429]" {
			t.Fatalf("with Redis down: %v, want the local limit (burst 2) enforced", got)
		}
		if !strings.Contains(s.Logs.String(), "redis is unreachable") {
			t.Fatal("no warning was logged about Redis")
		}
	})
	t.Run("fail closed refuses token requests", func(t *testing.T) {
		s := startServer(t, app.Config{Redis: dead, Protection: app.ProtectionConfig{FailClosed: true}})
		c := s.createClient(t, wire.CreateClientRequest{})
		if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); a.status != 503 || a.err != "temporarily_unavailable" {
			t.Fatalf("with Redis down and fail_closed: %+v, want 503 temporarily_unavailable", a)
		}
	})
}

// TestNoSecretInLogsOrAudit runs a mix of good and bad requests and admin
// changes, then scans every log line and audit record for the secrets,
// tokens and passwords that went by.
func TestNoSecretInLogsOrAudit(t *testing.T) {
	s := startServer(t, app.Config{Protection: app.ProtectionConfig{
		TrustedProxies: []string{"127.0.0.1/32"}, BruteForce: app.Threshold{Count: 5, Window: time.Minute},
	}})
	c := s.createClient(t, wire.CreateClientRequest{})
	secrets := []string{s.AdminKey, "operator-password-for-tests", c.ClientSecret, c.APIKey}
	for i := range 3 {
		if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, fmt.Sprint("192.0.2.", i+1)); a.status == 200 {
			secrets = append(secrets, a.token)
		}
	}
	// Near misses and a secret sent where the client id belongs.
	nearMiss := nearMissOf(c.ClientSecret)
	secrets = append(secrets, nearMiss)
	requestToken(t, s, "sandbox", c.ClientID, nearMiss, "192.0.2.50")
	requestToken(t, s, "sandbox", c.ClientSecret, c.ClientSecret, "192.0.2.51")
	for i := range 10 {
		wrong := fmt.Sprintf("guess-%d-%s", i, c.ClientSecret[:8])
		secrets = append(secrets, wrong)
		requestToken(t, s, "sandbox", c.ClientID, wrong, "192.0.2.66")
	}
	rotated, err := s.Admin.RotateClientSecret(context.Background(), c.ClientID, 0)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, rotated.ClientSecret, rotated.APIKey)
	if a := requestToken(t, s, "sandbox", c.ClientID, rotated.ClientSecret, ""); a.status == 200 {
		secrets = append(secrets, a.token)
	}
	if _, err := s.Admin.RevokeClient(context.Background(), c.ClientID); err != nil {
		t.Fatal(err)
	}
	auditEvents(t, s, adminclient.AuditQuery{Action: gatehouse.ActionIPBanned}, 1)

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/admin/v1/audit/export", nil)
	req.Header.Set("Authorization", "Bearer "+s.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	export, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	s.stop() // flush and close, so that every log line is written
	logs := s.Logs.String()
	if strings.Count(string(export), "\n") < 12 || !strings.Contains(logs, "banned a source address") {
		t.Fatalf("the run did not produce the expected records: %d audit lines", strings.Count(string(export), "\n"))
	}
	for _, secret := range secrets {
		if secret == "" || len(secret) < 8 {
			continue
		}
		if strings.Contains(logs, secret) {
			t.Errorf("a log line holds a secret or token (%s…)", secret[:6])
		}
		if strings.Contains(string(export), secret) {
			t.Errorf("an audit record holds a secret or token (%s…)", secret[:6])
		}
	}
}

// nearMissOf returns secret with its last character changed, so it is
// always a wrong secret (appending a fixed "x" was the secret itself for
// the one in 62 secrets that end in "x").
func nearMissOf(secret string) string {
	last := "x"
	if strings.HasSuffix(secret, "x") {
		last = "y"
	}
	return secret[:len(secret)-1] + last
}

func TestNearMissOfDiffersFromTheSecretInItsLastCharacter(t *testing.T) {
	for _, secret := range []string{"abcdefgh", "abcdefgx", "abcdefgy"} {
		got := nearMissOf(secret)
		if got == secret || got[:len(got)-1] != secret[:len(secret)-1] {
			t.Errorf("nearMissOf(%q) = %q, want only the last character changed", secret, got)
		}
	}
}

func TestLegacyDialectsAreLimitedAndBannedToo(t *testing.T) {
	s := startServer(t, app.Config{Protection: app.ProtectionConfig{BruteForce: app.Threshold{Count: 2, Window: time.Minute}}})
	setLimits(t, s, "sandbox", wire.RateLimits{ClientPerMinute: 1, ClientBurst: 2, IPPerMinute: 0})
	c := s.createClient(t, wire.CreateClientRequest{})
	lengow := func(secret string) *http.Response {
		return postForm(t, s.URL+"/access/get_token", url.Values{"access_token": {c.ClientID}, "secret": {secret}}, "", "")
	}
	var got []int
	for range 3 {
		got = append(got, lengow(c.ClientSecret).StatusCode)
	}
	if fmt.Sprint(got) != "[200 200 429]" {
		t.Fatalf("Lengow-style requests over the client burst of 2: %v, want [200 200 429]", got)
	}
	if resp := lengow(c.ClientSecret); resp.Header.Get("Retry-After") == "" {
		t.Fatal("a Lengow-style 429 has no Retry-After")
	}
	for range 3 {
		lengow("wrong")
	}
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); a.status != 429 {
		t.Fatalf("after brute force on the Lengow-style endpoint the standard one answered %+v, want the ban", a)
	}
	if n := metric(t, s, `gatehouse_token_requests_total{dialect="lengow",environment="sandbox",outcome="success"}`); n != 2 {
		t.Errorf("lengow successes counted %v, want 2", n)
	}
}
