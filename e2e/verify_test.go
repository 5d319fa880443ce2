package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/verify"
)

const ledgerAudience = "https://api.example.com/ledger"

// countingTransport counts the requests a verifier makes, by path suffix.
type countingTransport struct {
	jwks, introspect, feed, other atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/certs"):
		c.jwks.Add(1)
	case strings.HasSuffix(p, "/introspect"):
		c.introspect.Add(1)
	case strings.HasSuffix(p, "/revocation-feed"):
		c.feed.Add(1)
	default:
		c.other.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// resourceClient creates the client a resource server authenticates as.
func resourceClient(t testing.TB, s *server) *wire.ClientWithSecret {
	t.Helper()
	return s.createClient(t, wire.CreateClientRequest{Name: "ledger-api", Scopes: []string{"introspect"}})
}

// newVerifier returns a verifier of s's sandbox that follows its feed.
func newVerifier(t *testing.T, s *server, rs *wire.ClientWithSecret, tune func(*verify.Config)) (*verify.Verifier, *countingTransport) {
	t.Helper()
	ct := &countingTransport{}
	cfg := verify.Config{
		Issuer: s.URL + "/realms/sandbox", Audience: ledgerAudience,
		ClientID: rs.ClientID, ClientSecret: rs.ClientSecret, FollowRevocations: true,
		HTTPClient: &http.Client{Transport: ct},
	}
	if tune != nil {
		tune(&cfg)
	}
	v, err := verify.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("verify.New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v, ct
}

// ledgerToken fetches a token of client c for the ledger audience.
func ledgerToken(t *testing.T, tokenURL string, c *wire.ClientWithSecret, scopes ...string) string {
	t.Helper()
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: tokenURL, Scopes: scopes,
		EndpointParams: map[string][]string{"audience": {ledgerAudience}}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}

// TestVerifyMiddlewareAnswersAsRFC6750 runs the middleware in front of a
// handler against tokens of a real Gatehouse.
func TestVerifyMiddlewareAnswersAsRFC6750(t *testing.T) {
	s := startServer(t, app.Config{})
	rs := resourceClient(t, s)
	acme := s.createClient(t, wire.CreateClientRequest{Name: "acme", Scopes: []string{"ledger:read", "ledger:write"}, Audiences: []string{ledgerAudience}})
	v, _ := newVerifier(t, s, rs, nil)
	late, _ := newVerifier(t, s, rs, func(c *verify.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Hour) } // past the 5-minute lifetime and the leeway
	})
	handler := func(v *verify.Verifier) http.Handler {
		return v.Middleware("ledger:read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := verify.ClaimsFrom(r.Context())
			if !ok {
				t.Error("no claims in the context")
				return
			}
			fmt.Fprintf(w, "%s %d %s", c.ClientID, c.AccountID, c.Scope)
		}))
	}
	api := httptest.NewServer(handler(v))
	defer api.Close()
	lateAPI := httptest.NewServer(handler(late))
	defer lateAPI.Close()

	good := ledgerToken(t, s.tokenURL("sandbox"), acme, "ledger:read")
	noAudience := fetchToken(t, s, "sandbox", acme.ClientID, acme.ClientSecret) // aud is the issuer
	writeOnly := ledgerToken(t, s.tokenURL("sandbox"), acme, "ledger:write")
	// A second server on the same database and keys, under another public
	// URL: its tokens verify with the same keys but name another issuer.
	other := startServer(t, app.Config{DataDir: filepath.Dir(s.main.AdminKeyFile()), PublicURL: "http://other.example.test"})
	foreign := ledgerToken(t, other.URL+"/realms/sandbox/protocol/openid-connect/token", acme, "ledger:read")

	h, p, sig := splitJWT(t, good)
	var hdr map[string]any
	mustDecode(t, h, &hdr)
	kid := hdr["kid"].(string)
	none := encodeSegment(t, map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + p + "."
	noneWithSig := encodeSegment(t, map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + p + "." + sig
	hs256 := signHS256WithPublicKey(t, s, kid, p)

	realm := `Bearer realm="api"`
	cases := []struct {
		name, url, auth string
		status          int
		challenge       string // prefix of WWW-Authenticate
	}{
		{"a good token is admitted with its claims in the context", api.URL, "Bearer " + good, 200, ""},
		{"a request without a token gets a bare challenge", api.URL, "", 401, realm},
		{"an expired token is invalid_token", lateAPI.URL, "Bearer " + good, 401, realm + `, error="invalid_token", error_description="the token has expired"`},
		{"a token for another audience is invalid_token", api.URL, "Bearer " + noAudience, 401, realm + `, error="invalid_token", error_description="the token is not meant for this audience"`},
		{"a token of another issuer is invalid_token", api.URL, "Bearer " + foreign, 401, realm + `, error="invalid_token", error_description="the token was issued by another issuer"`},
		{"alg none without a signature is invalid_token", api.URL, "Bearer " + none, 401, realm + `, error="invalid_token"`},
		{"alg none with the original signature is invalid_token", api.URL, "Bearer " + noneWithSig, 401, realm + `, error="invalid_token", error_description="the token's algorithm is not its key's"`},
		{"HS256 signed with the public key is invalid_token", api.URL, "Bearer " + hs256, 401, realm + `, error="invalid_token", error_description="the token's algorithm is not its key's"`},
		{"a token without the required scope is insufficient_scope", api.URL, "Bearer " + writeOnly, 403, realm + `, error="insufficient_scope", error_description="the token lacks a required scope", scope="ledger:read"`},
		{"the raw Authorization form is refused unless enabled", api.URL, good, 400, realm + `, error="invalid_request"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := getWithAuth(t, tc.url, tc.auth)
			body := readAll(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.status)
			}
			got := resp.Header.Get("WWW-Authenticate")
			if tc.challenge == "" && got != "" || !strings.HasPrefix(got, tc.challenge) {
				t.Fatalf("WWW-Authenticate %q, want %q…", got, tc.challenge)
			}
			if tc.status == 401 && tc.auth == "" && got != realm {
				t.Fatalf("a missing token got details: %q", got)
			}
			if tc.status == 200 && body != fmt.Sprintf("%s %d ledger:read", acme.ClientID, acme.AccountID) {
				t.Fatalf("handler saw %q", body)
			}
		})
	}

	t.Run("the raw Authorization form is accepted when enabled", func(t *testing.T) {
		raw, _ := newVerifier(t, s, rs, func(c *verify.Config) { c.AllowRawAuthorization = true })
		rawAPI := httptest.NewServer(handler(raw))
		defer rawAPI.Close()
		if resp := getWithAuth(t, rawAPI.URL, good); resp.StatusCode != 200 {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	})
}

// TestVerifyRefusesARevokedClientWithinASecond revokes clients, secrets
// and tokens and measures how long a verifier following the feed keeps
// accepting their still-unexpired JWTs.
func TestVerifyRefusesARevokedClientWithinASecond(t *testing.T) {
	s := startServer(t, app.Config{})
	rs := resourceClient(t, s)
	v, ct := newVerifier(t, s, rs, nil)
	ctx := context.Background()
	const runs = 20
	var worst time.Duration
	for i := range runs {
		c := s.createClient(t, wire.CreateClientRequest{Name: fmt.Sprintf("run-%d", i), Audiences: []string{ledgerAudience}})
		tok := ledgerToken(t, s.tokenURL("sandbox"), c)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("run %d: fresh token refused: %v", i, err)
		}
		before := ct.introspect.Load() + ct.jwks.Load() + ct.other.Load()
		start := time.Now()
		if _, err := s.Admin.RevokeClient(ctx, c.ClientID); err != nil {
			t.Fatal(err)
		}
		var took time.Duration
		for {
			_, err := v.Verify(ctx, tok)
			if err != nil {
				took = time.Since(start)
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("run %d: revoked client's token still accepted after 5 s", i)
			}
			time.Sleep(time.Millisecond)
		}
		if n := ct.introspect.Load() + ct.jwks.Load() + ct.other.Load(); n != before {
			t.Fatalf("run %d: the verifier made %d calls to the server while checking tokens", i, n-before)
		}
		worst = max(worst, took)
	}
	t.Logf("client revocation refused by a feed-following verifier: max %v over %d runs", worst, runs)
	if worst > time.Second {
		t.Fatalf("a revoked client's token was accepted for %v (> 1 s)", worst)
	}

	t.Run("a revoked secret's tokens are refused, the client's other secret's are not", func(t *testing.T) {
		c := s.createClient(t, wire.CreateClientRequest{Name: "two-secrets", Audiences: []string{ledgerAudience}})
		old := ledgerToken(t, s.tokenURL("sandbox"), c)
		rotated, err := s.Admin.RotateClientSecret(ctx, c.ClientID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		fresh := ledgerToken(t, s.tokenURL("sandbox"), rotated)
		if _, err := s.Admin.RevokeClientSecret(ctx, c.ClientID, c.Secrets[0].ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Second, func() error {
			if _, err := v.Verify(ctx, old); err == nil {
				return errNotYet
			}
			return nil
		})
		if _, err := v.Verify(ctx, fresh); err != nil {
			t.Fatalf("the new secret's token is refused: %v", err)
		}
	})

	t.Run("a token revoked by its client (RFC 7009) is refused", func(t *testing.T) {
		c := s.createClient(t, wire.CreateClientRequest{Name: "self-revoker", Audiences: []string{ledgerAudience}})
		tok := ledgerToken(t, s.tokenURL("sandbox"), c)
		resp := postForm(t, s.URL+"/realms/sandbox/protocol/openid-connect/revoke", map[string][]string{"token": {tok}}, c.ClientID, c.ClientSecret)
		if resp.StatusCode != 200 {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		eventually(t, time.Second, func() error {
			if _, err := v.Verify(ctx, tok); err == nil {
				return errNotYet
			}
			return nil
		})
	})
}

// TestVerifyOpaqueTokensByIntrospection checks an opaque token through a
// cached introspection and refuses it once its client is revoked.
func TestVerifyOpaqueTokensByIntrospection(t *testing.T) {
	s := startServer(t, app.Config{})
	rs := resourceClient(t, s)
	v, ct := newVerifier(t, s, rs, nil)
	ctx := context.Background()
	c := s.createClient(t, wire.CreateClientRequest{Name: "opaque", Audiences: []string{ledgerAudience}})
	if _, err := s.Admin.UpdateClient(ctx, c.ClientID, wire.UpdateClientRequest{
		TokenOverrides: &wire.TokenSettingsPatch{Format: wire.Some("opaque")}}); err != nil {
		t.Fatal(err)
	}
	tok := ledgerToken(t, s.tokenURL("sandbox"), c)
	if !strings.HasPrefix(tok, verify.OpaquePrefix) {
		t.Fatalf("token %.10s… is not opaque", tok)
	}
	for range 5 {
		claims, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatalf("opaque token refused: %v", err)
		}
		if claims.ClientID != c.ClientID {
			t.Fatalf("client_id %q", claims.ClientID)
		}
	}
	if n := ct.introspect.Load(); n != 1 {
		t.Fatalf("%d introspection calls for 5 checks, want 1 (cached)", n)
	}
	if _, err := v.Verify(ctx, verify.OpaquePrefix+"AAAA"); err == nil {
		t.Fatal("a made-up opaque token was accepted")
	}
	t.Run("a revoked secret's cached opaque token is refused within a second", func(t *testing.T) {
		rotated, err := s.Admin.RotateClientSecret(ctx, c.ClientID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		fresh := ledgerToken(t, s.tokenURL("sandbox"), rotated)
		if _, err := v.Verify(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		newest := rotated.Secrets[len(rotated.Secrets)-1].ID
		if _, err := s.Admin.RevokeClientSecret(ctx, c.ClientID, newest); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Second, func() error {
			if _, err := v.Verify(ctx, fresh); err == nil {
				return errNotYet
			}
			return nil
		})
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("the other secret's token: %v", err)
		}
	})
	if _, err := s.Admin.RevokeClient(ctx, c.ClientID); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, func() error {
		if _, err := v.Verify(ctx, tok); err == nil {
			return errNotYet
		}
		return nil
	})
}

// TestVerifyRandomKidsCauseNoFetchStorm sends tokens with random kids at
// about 1,000 per second for 2.5 s and counts the JWKS fetches.
func TestVerifyRandomKidsCauseNoFetchStorm(t *testing.T) {
	s := startServer(t, app.Config{})
	rs := resourceClient(t, s)
	const floor = time.Second
	v, ct := newVerifier(t, s, rs, func(c *verify.Config) { c.KeyRefetchFloor = floor })
	acme := s.createClient(t, wire.CreateClientRequest{Name: "acme", Audiences: []string{ledgerAudience}})
	_, p, sig := splitJWT(t, ledgerToken(t, s.tokenURL("sandbox"), acme))
	start := time.Now()
	before := ct.jwks.Load()
	const duration = 2500 * time.Millisecond
	sent := 0
	for time.Since(start) < duration {
		// Catch up with 1,000 per second since the start, then pause.
		for due := int(time.Since(start) / time.Millisecond); sent < due; sent++ {
			hdr := encodeSegment(t, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": fmt.Sprintf("random-%d-%d", sent, time.Now().UnixNano())})
			if _, err := v.Verify(context.Background(), hdr+"."+p+"."+sig); err == nil {
				t.Fatal("a token with a random kid was accepted")
			}
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	fetches := ct.jwks.Load() - before
	periods := int64(elapsed/floor) + 1
	t.Logf("%d tokens with random kids in %v (%.0f/s): %d JWKS fetches, floor %v (at most %d allowed)",
		sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds(), fetches, floor, periods)
	if fetches > periods {
		t.Fatalf("%d JWKS fetches in %v with a %v floor", fetches, elapsed, floor)
	}
	if fetches == 0 {
		t.Fatal("no refetch at all: an unknown kid should refetch once per floor period")
	}
}

// TestRevocationFeedResumesFromLastEventID reads the feed as a raw SSE
// stream: it needs client authentication, starts with a snapshot, and a
// resume with Last-Event-ID gets only what happened since.
func TestRevocationFeedResumesFromLastEventID(t *testing.T) {
	s := startServer(t, app.Config{})
	rs := resourceClient(t, s)
	feedURL := s.URL + "/realms/sandbox/revocation-feed"
	ctx := context.Background()

	var md map[string]any
	resp := getWithAuth(t, s.URL+"/realms/sandbox/.well-known/openid-configuration", "")
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	if md["gatehouse_revocation_feed_endpoint"] != feedURL {
		t.Fatalf("discovery names feed %v, want %s", md["gatehouse_revocation_feed_endpoint"], feedURL)
	}
	for name, auth := range map[string]string{"anonymous": "", "wrong secret": basic(rs.ClientID, "nope")} {
		if resp := getWithAuth(t, feedURL, auth); resp.StatusCode != 401 {
			t.Fatalf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}

	first := openFeed(t, feedURL, rs, "")
	kind, id, data := first.next(t)
	if kind != "snapshot" {
		t.Fatalf("first event %q, want snapshot", kind)
	}
	if !strings.Contains(data, `"keys":[{"kid"`) {
		t.Fatalf("snapshot without keys: %s", data)
	}
	victim := s.createClient(t, wire.CreateClientRequest{Name: "victim"})
	if _, err := s.Admin.RevokeClient(ctx, victim.ClientID); err != nil {
		t.Fatal(err)
	}
	kind, id2, data := first.next(t)
	if kind != "revocations" || !strings.Contains(data, victim.ClientID) {
		t.Fatalf("after a revocation: %s %s", kind, data)
	}
	first.close()

	resumed := openFeed(t, feedURL, rs, id)
	kind, id3, data := resumed.next(t)
	if kind != "revocations" || id3 != id2 || !strings.Contains(data, victim.ClientID) {
		t.Fatalf("resume from %s: %s %s %s, want the revocation %s again", id, kind, id3, data, id2)
	}
	resumed.close()

	behind := openFeed(t, feedURL, rs, "0") // older than this server's start
	kind, _, data = behind.next(t)
	if kind != "snapshot" || !strings.Contains(data, victim.ClientID) {
		t.Fatalf("resume from 0: %s %s, want a snapshot naming the revoked client", kind, data)
	}
	behind.close()
}

type feedStream struct {
	resp *http.Response
	r    *bufio.Reader
}

func openFeed(t *testing.T, url string, c *wire.ClientWithSecret, lastID string) *feedStream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", basic(c.ClientID, c.ClientSecret))
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &feedStream{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event (skipping comments and retry lines).
func (f *feedStream) next(t *testing.T) (kind, id, data string) {
	t.Helper()
	done := make(chan struct{})
	timer := time.AfterFunc(5*time.Second, func() { f.resp.Body.Close() })
	defer func() { timer.Stop(); close(done) }()
	for {
		line, err := f.r.ReadString('\n')
		if err != nil {
			t.Fatalf("feed: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && data != "":
			return kind, id, data
		case strings.HasPrefix(line, "event: "):
			kind = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func (f *feedStream) close() { f.resp.Body.Close() }

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func getWithAuth(t *testing.T, url, auth string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func splitJWT(t *testing.T, tok string) (h, p, sig string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	return parts[0], parts[1], parts[2]
}

func mustDecode(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func encodeSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signHS256WithPublicKey forges the classic confusion token: the payload
// signed with HMAC-SHA256 under the bytes of the environment's public JWK.
func signHS256WithPublicKey(t *testing.T, s *server, kid, payload string) string {
	t.Helper()
	resp := getWithAuth(t, s.URL+"/realms/sandbox/protocol/openid-connect/certs", "")
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS: %v", err)
	}
	hdr := encodeSegment(t, map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid})
	sig, err := jwt.SigningMethodHS256.Sign(hdr+"."+payload, []byte(set.Keys[0]))
	if err != nil {
		t.Fatal(err)
	}
	return hdr + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestVerifyFollowsSigningKeyChanges rotates the signing key at once and
// revokes the old one: a verifier following the feed accepts the new key's
// tokens (without waiting for its refetch floor) and refuses the revoked
// key's tokens, each within a second.
func TestVerifyFollowsSigningKeyChanges(t *testing.T) {
	s := startServer(t, app.Config{})
	rs := resourceClient(t, s)
	v, _ := newVerifier(t, s, rs, func(c *verify.Config) { c.KeyRefetchFloor = time.Hour })
	ctx := context.Background()
	acme := s.createClient(t, wire.CreateClientRequest{Name: "acme", Audiences: []string{ledgerAudience}})
	old := ledgerToken(t, s.tokenURL("sandbox"), acme)
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	h, _, _ := splitJWT(t, old)
	var hdr map[string]any
	mustDecode(t, h, &hdr)
	oldKid := hdr["kid"].(string)

	if _, err := s.Admin.RotateSigningKeyNow(ctx, "sandbox", ""); err != nil {
		t.Fatal(err)
	}
	fresh := ledgerToken(t, s.tokenURL("sandbox"), acme)
	eventually(t, time.Second, func() error {
		_, err := v.Verify(ctx, fresh)
		return err
	})
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatalf("a retired key's token must stay valid: %v", err)
	}
	if _, err := s.Admin.RevokeSigningKey(ctx, "sandbox", oldKid); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, func() error {
		if _, err := v.Verify(ctx, old); err == nil {
			return errNotYet
		}
		return nil
	})
	if _, err := v.Verify(ctx, fresh); err != nil {
		t.Fatalf("the new key's token after the old key's revocation: %v", err)
	}
}
