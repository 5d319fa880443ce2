package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// rotationLoadIssuerBase is the public URL every replica of the rotation
// load test shares, so that they issue tokens of one issuer.
const rotationLoadIssuerBase = "https://auth.example.com"

// TestSigningKeyRotationUnderLoad rotates the sandbox signing key, first on
// the schedule (a next key, promoted once its publication delay has passed)
// and then at once, while token requests run without pause against every
// replica. No token request may fail, every token issued must verify
// against the JWKS each replica publishes after the run (which holds the
// old keys and the new), and a replica that did not take the step must sign
// with the new key once its cache has followed the change feed. Deadlines
// are generous: they catch a hang (a rotation once waited minutes behind
// the load), not slowness; the measured times are logged.
func TestSigningKeyRotationUnderLoad(t *testing.T) {
	t.Run("SQLite, one replica", func(t *testing.T) {
		clk := &testClock{t: time.Now()}
		s := startServerWith(t, rotationLoadConfig(""), func(m *app.Main) { m.Now = clk.Now })
		testRotationUnderLoad(t, clk, []*server{s})
	})
	t.Run("PostgreSQL, two replicas", func(t *testing.T) {
		dsn := testenv.PostgresSchema(t) // skips unless GATEHOUSE_TEST_POSTGRES is set
		clk := &testClock{t: time.Now()}
		cfg := rotationLoadConfig(dsn)
		a := startServerWith(t, cfg, func(m *app.Main) { m.Now = clk.Now })
		b := startServerWith(t, cfg, func(m *app.Main) { m.Now = clk.Now })
		testRotationUnderLoad(t, clk, []*server{a, b})
	})
}

// rotationLoadConfig is a server whose clock the test moves: rate limits
// off (all the load comes from one address), a cache never counted stale
// by the moved clock, the shortest publication delay, and a rotation loop
// that never runs during the test, so that only the replica the test
// advances promotes a key and the others learn it from the change feed.
func rotationLoadConfig(database string) app.Config {
	off := false
	cfg := app.Config{
		Database: database, PublicURL: rotationLoadIssuerBase, CacheMaxStaleness: 24 * 365 * time.Hour,
		SigningKeys: app.SigningKeysConfig{PublicationDelay: time.Minute, CheckInterval: time.Hour},
	}
	cfg.Protection.RateLimits = &off
	return cfg
}

func testRotationUnderLoad(t *testing.T, clk *testClock, replicas []*server) {
	ctx := context.Background()
	first, last := replicas[0], replicas[len(replicas)-1]
	c := first.createClient(t, wire.CreateClientRequest{Name: "under-load", Audiences: []string{ledgerAudience}})
	for _, s := range replicas { // the client is known everywhere before the load starts
		waitForSigningKey(t, s, c, "", 10*time.Second)
	}
	keys, err := first.Admin.SigningKeys(ctx, "sandbox")
	if err != nil || len(keys.Items) != 1 {
		t.Fatalf("keys before the rotations: %+v, %v", keys, err)
	}
	k1 := keys.Items[0].KeyID

	load := startKeptTokenLoad(replicas, c, 8)
	defer load.stop()
	load.waitForTokens(t, 200)

	// Scheduled: a next key is published at once and signs after the
	// publication delay; the replica that promotes it refreshes its cache,
	// the others follow the change feed (cache_poll).
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	start := time.Now()
	res, err := first.Admin.RotateSigningKey(rctx, "sandbox", "")
	if err != nil {
		t.Fatalf("scheduled rotation during the load: %v", err)
	}
	t.Logf("scheduled rotation answered in %v during the load", time.Since(start).Round(time.Millisecond))
	k2 := res.Key.KeyID
	load.waitForTokens(t, 200)
	clk.Add(time.Minute)
	start = time.Now()
	if err := first.main.AdvanceSigningKeys(rctx); err != nil {
		t.Fatalf("promotion during the load: %v", err)
	}
	t.Logf("promotion took %v during the load", time.Since(start).Round(time.Millisecond))
	load.add(waitForSigningKey(t, first, c, k2, 10*time.Second))
	if len(replicas) > 1 {
		load.add(waitForSigningKey(t, last, c, k2, 10*time.Second))
		t.Logf("the other replica signed with the promoted key %v after the promotion", time.Since(start).Round(time.Millisecond))
	}
	load.waitForTokens(t, 200)

	// Immediate, sent to the last replica: the new key signs at once there,
	// and on the others within a poll of the change feed.
	admin := adminclient.New(last.URL, first.AdminKey, nil)
	start = time.Now()
	res, err = admin.RotateSigningKeyNow(rctx, "sandbox", "")
	if err != nil {
		t.Fatalf("immediate rotation during the load: %v", err)
	}
	t.Logf("immediate rotation answered in %v during the load", time.Since(start).Round(time.Millisecond))
	k3 := res.Key.KeyID
	load.add(waitForSigningKey(t, last, c, k3, 10*time.Second))
	if len(replicas) > 1 {
		load.add(waitForSigningKey(t, first, c, k3, 10*time.Second))
		t.Logf("the other replica signed with the immediate key %v after it was created", time.Since(start).Round(time.Millisecond))
	}
	load.waitForTokens(t, 200)
	tokens, failures := load.stop()

	if len(failures) > 0 {
		t.Errorf("%d token requests failed during the rotations: %v", len(failures), failures[:min(len(failures), 5)])
	}
	byKid := map[string]int{}
	for i, s := range replicas {
		if kids := jwksKids(t, s, "sandbox"); !slices.Contains(kids, k1) || !slices.Contains(kids, k2) || !slices.Contains(kids, k3) {
			t.Errorf("replica %d publishes %v after the run, want %s (retired), %s (retired) and %s (active)", i, kids, k1, k2, k3)
		}
		v, err := verify.New(ctx, verify.Config{
			Issuer: rotationLoadIssuerBase + "/realms/sandbox", Audience: ledgerAudience, Now: clk.Now,
			TokenCacheSize: -1, HTTPClient: &http.Client{Transport: toReplica{s.main.Addr()}},
		})
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for _, tok := range tokens {
			if _, err := v.Verify(ctx, tok); err != nil {
				if bad++; bad <= 3 {
					t.Errorf("a token issued during the run does not verify against replica %d's JWKS: %v", i, err)
				}
			}
			if i == 0 {
				byKid[tokenKid(tok)]++
			}
		}
		v.Close()
		if bad > 0 {
			t.Errorf("%d of %d tokens do not verify against replica %d's JWKS", bad, len(tokens), i)
		}
	}
	t.Logf("%d tokens issued during the run, 0 failed requests; by key: %s %d, %s %d, %s %d",
		len(tokens), k1, byKid[k1], k2, byKid[k2], k3, byKid[k3])
	for _, k := range []string{k1, k2, k3} {
		if byKid[k] == 0 {
			t.Errorf("no token of the run was signed by %s", k)
		}
	}
}

// keptTokenLoad sends token requests from several goroutines, round robin over
// replicas, until stopped, and keeps every token and every failure.
type keptTokenLoad struct {
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	mu       sync.Mutex
	tokens   []string
	failures []string
}

func startKeptTokenLoad(replicas []*server, c *wire.ClientWithSecret, workers int) *keptTokenLoad {
	l := &keptTokenLoad{done: make(chan struct{})}
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	body := url.Values{"grant_type": {"client_credentials"}, "audience": {ledgerAudience}}.Encode()
	for w := range workers {
		l.wg.Go(func() {
			for n := w; ; n++ {
				select {
				case <-l.done:
					return
				default:
				}
				s := replicas[n%len(replicas)]
				tok, failure := fetchAccessToken(client, s.tokenURL("sandbox"), body, c)
				l.mu.Lock()
				if failure != "" {
					l.failures = append(l.failures, failure)
				} else {
					l.tokens = append(l.tokens, tok)
				}
				l.mu.Unlock()
			}
		})
	}
	return l
}

// fetchAccessToken sends one token request and returns the token, or what went
// wrong.
func fetchAccessToken(hc *http.Client, tokenURL, body string, c *wire.ClientWithSecret) (token, failure string) {
	req, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(body))
	if err != nil {
		return "", err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	resp, err := hc.Do(req)
	if err != nil {
		return "", "transport: " + err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "read: " + err.Error()
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.AccessToken == "" {
		return "", fmt.Sprintf("200 without a token: %s", b)
	}
	return out.AccessToken, ""
}

// add records a token the test fetched itself, to be verified with the
// load's.
func (l *keptTokenLoad) add(token string) {
	l.mu.Lock()
	l.tokens = append(l.tokens, token)
	l.mu.Unlock()
}

// waitForTokens waits until the load has issued n more tokens, so that
// requests run between the steps of the test.
func (l *keptTokenLoad) waitForTokens(t *testing.T, n int) {
	t.Helper()
	l.mu.Lock()
	want := len(l.tokens) + n
	l.mu.Unlock()
	eventually(t, 30*time.Second, func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.tokens) < want {
			return fmt.Errorf("%d tokens, waiting for %d (%d failures)", len(l.tokens), want, len(l.failures))
		}
		return nil
	})
}

// stop ends the load and returns what it got.
func (l *keptTokenLoad) stop() (tokens, failures []string) {
	l.once.Do(func() { close(l.done) })
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tokens, l.failures
}

// waitForSigningKey fetches tokens from s until one is signed by kid (by
// any key if kid is "") and returns it.
func waitForSigningKey(t *testing.T, s *server, c *wire.ClientWithSecret, kid string, within time.Duration) string {
	t.Helper()
	body := url.Values{"grant_type": {"client_credentials"}, "audience": {ledgerAudience}}.Encode()
	var token string
	eventually(t, within, func() error {
		tok, failure := fetchAccessToken(http.DefaultClient, s.tokenURL("sandbox"), body, c)
		if failure != "" {
			return fmt.Errorf("token request: %s", failure)
		}
		if got := tokenKid(tok); kid != "" && got != kid {
			return fmt.Errorf("signed by %s, want %s", got, kid)
		}
		token = tok
		return nil
	})
	return token
}

// tokenKid is the kid in a JWT's header.
func tokenKid(token string) string {
	head, _, _ := strings.Cut(token, ".")
	b, _ := base64.RawURLEncoding.DecodeString(head)
	var h struct {
		Kid string `json:"kid"`
	}
	json.Unmarshal(b, &h)
	return h.Kid
}
