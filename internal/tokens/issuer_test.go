package tokens_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// clock is an injected time source tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is an issuer over a real SQLite store with a sandbox and a
// production environment and one client in each.
type fixture struct {
	store   *sqlstore.Store
	dir     *cache.Directory
	issuer  *tokens.Issuer
	clock   *clock
	sandbox *gatehouse.Client // secret "sandbox-secret"
	prod    *gatehouse.Client // secret "prod-secret"
}

const issuerBase = "https://auth.example.com/realms/"

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	return newFixtureAlg(tb, gatehouse.AlgES256)
}

// newFixtureAlg is newFixture with environments signing with alg.
func newFixtureAlg(tb testing.TB, alg string) *fixture {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(tb.TempDir(), "gh.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := &fixture{store: st, clock: clk}
	acct := &gatehouse.Account{Name: "Acme", CreatedAt: clk.Now()}
	if err := st.CreateAccount(ctx, acct); err != nil {
		tb.Fatal(err)
	}
	for _, env := range []string{"sandbox", "production"} {
		if err := st.CreateEnvironment(ctx, &gatehouse.Environment{
			Name: env, SigningAlgorithm: alg, Tokens: gatehouse.DefaultTokenSettings(),
			CreatedAt: clk.Now(), UpdatedAt: clk.Now(),
		}); err != nil {
			tb.Fatal(err)
		}
		k, err := keys.Generate(env, alg, gatehouse.KeyActive, rand.Reader, clk.Now())
		if err != nil {
			tb.Fatal(err)
		}
		if err := st.CreateSigningKey(ctx, k); err != nil {
			tb.Fatal(err)
		}
	}
	f.sandbox = f.addClient(tb, "sandbox", "sandbox-secret", acct.ID, "ledger:read", "ledger:write")
	f.prod = f.addClient(tb, "production", "prod-secret", acct.ID, "ledger:read")
	f.dir = cache.New(cache.Config{Store: st, Now: clk.Now})
	if err := f.dir.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	f.issuer = tokens.NewIssuer(tokens.Config{
		Directory: f.dir, Store: st, IssuerURL: func(env string) string { return issuerBase + env },
		Now: clk.Now, Rand: rand.Reader, MaxStaleness: time.Minute,
	})
	return f
}

func (f *fixture) addClient(tb testing.TB, env, secret string, account int64, scopes ...string) *gatehouse.Client {
	tb.Helper()
	id, _ := gatehouse.NewClientID(rand.Reader)
	c := &gatehouse.Client{
		ID: id, Environment: env, AccountID: account, Name: "acme-" + env, Scopes: scopes,
		Audiences: []string{"https://ledger.example.com"}, Status: gatehouse.ClientActive,
		Secrets:   []gatehouse.Secret{{Hash: gatehouse.HashSecret(secret), CreatedAt: f.clock.Now()}},
		CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now(),
	}
	if err := f.store.CreateClient(context.Background(), c); err != nil {
		tb.Fatal(err)
	}
	return c
}

func (f *fixture) request(mod func(r *tokens.Request)) *tokens.Request {
	r := &tokens.Request{
		Environment: "sandbox", GrantType: tokens.GrantClientCredentials,
		Credentials: tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.sandbox.ID, Secret: "sandbox-secret"},
		RemoteIP:    netip.MustParseAddr("192.0.2.10"), Dialect: "standard",
	}
	if mod != nil {
		mod(r)
	}
	return r
}

func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssueMintsAnRFC9068AccessToken(t *testing.T) {
	f := newFixture(t)
	tok, oerr := f.issuer.Issue(context.Background(), f.request(nil))
	if oerr != nil {
		t.Fatal(oerr)
	}
	c := claimsOf(t, tok.AccessToken)
	now := f.clock.Now().Unix()
	want := map[string]any{
		"iss": issuerBase + "sandbox", "sub": f.sandbox.ID, "client_id": f.sandbox.ID, "aud": issuerBase + "sandbox",
		"scope": "ledger:read ledger:write", "iat": float64(now), "exp": float64(now + 300),
		"account_id": float64(f.sandbox.AccountID),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	if jti, _ := c["jti"].(string); len(jti) < 22 {
		t.Errorf("jti %q is too short", jti)
	}
	if tok.ExpiresIn != 300 || tok.Scope != "ledger:read ledger:write" {
		t.Errorf("token = %+v", tok)
	}
	again, _ := f.issuer.Issue(context.Background(), f.request(nil))
	if claimsOf(t, again.AccessToken)["jti"] == c["jti"] {
		t.Error("two tokens share a jti")
	}
}

func TestIssueChecksEveryRule(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name       string
		mod        func(r *tokens.Request)
		wantCode   string
		wantStatus int
	}{
		{"an unknown environment is 404 invalid_request", func(r *tokens.Request) { r.Environment = "nope" }, tokens.ErrInvalidRequest, 404},
		{"a missing grant type is invalid_request", func(r *tokens.Request) { r.GrantType = "" }, tokens.ErrInvalidRequest, 400},
		{"another grant type is unsupported_grant_type", func(r *tokens.Request) { r.GrantType = "password" }, tokens.ErrUnsupportedGrantType, 400},
		{"a wrong secret is invalid_client", func(r *tokens.Request) { r.Credentials.Secret = "wrong" }, tokens.ErrInvalidClient, 401},
		{"an unknown client is invalid_client", func(r *tokens.Request) { r.Credentials.ClientID = "nobody" }, tokens.ErrInvalidClient, 401},
		{"no credentials is invalid_client", func(r *tokens.Request) { r.Credentials = tokens.Credentials{} }, tokens.ErrInvalidClient, 401},
		{"a client of another environment is invalid_client", func(r *tokens.Request) {
			r.Credentials = tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.prod.ID, Secret: "prod-secret"}
		}, tokens.ErrInvalidClient, 401},
		{"a scope the client lacks is invalid_scope", func(r *tokens.Request) { r.Scope = "ledger:read admin" }, tokens.ErrInvalidScope, 400},
		{"an audience the client lacks is invalid_target", func(r *tokens.Request) { r.Audiences = []string{"https://other"} }, tokens.ErrInvalidTarget, 400},
		{"two audiences are invalid_target", func(r *tokens.Request) {
			r.Audiences = []string{"https://ledger.example.com", "https://ledger.example.com"}
		}, tokens.ErrInvalidTarget, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, oerr := f.issuer.Issue(context.Background(), f.request(tc.mod))
			if oerr == nil || oerr.Code != tc.wantCode || oerr.Status != tc.wantStatus {
				t.Fatalf("error = %+v, want %s/%d", oerr, tc.wantCode, tc.wantStatus)
			}
		})
	}
}

func TestIssueHonoursScopeAndAudienceRequests(t *testing.T) {
	f := newFixture(t)
	tok, oerr := f.issuer.Issue(context.Background(), f.request(func(r *tokens.Request) {
		r.Scope = "ledger:read"
		r.Audiences = []string{"https://ledger.example.com"}
	}))
	if oerr != nil {
		t.Fatal(oerr)
	}
	c := claimsOf(t, tok.AccessToken)
	if c["scope"] != "ledger:read" || c["aud"] != "https://ledger.example.com" {
		t.Fatalf("claims = %v", c)
	}
}

func TestRevokedClientCanNeitherIssueNorIntrospect(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := f.issuer.Issue(ctx, f.request(nil))
	caller := tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.sandbox.ID, Secret: "sandbox-secret"}
	other := f.addClient(t, "sandbox", "other-secret", f.sandbox.AccountID)
	otherCreds := tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: other.ID, Secret: "other-secret"}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if res, _ := f.issuer.Introspect("sandbox", otherCreds, here, tok.AccessToken); !res.Active {
		t.Fatal("a fresh token must be active")
	}
	c, _ := f.store.Client(ctx, f.sandbox.ID)
	c.Status = gatehouse.ClientRevoked
	if err := f.store.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, oerr := f.issuer.Issue(ctx, f.request(nil)); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
		t.Fatalf("a revoked client got %v", oerr)
	}
	if _, oerr := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
		t.Fatal("a revoked client must not introspect")
	}
	if res, _ := f.issuer.Introspect("sandbox", otherCreds, here, tok.AccessToken); res.Active {
		t.Fatal("a revoked client's token must be inactive")
	}
}

func TestIntrospection(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := f.issuer.Issue(ctx, f.request(nil))
	prodTok, _ := f.issuer.Issue(ctx, f.request(func(r *tokens.Request) {
		r.Environment = "production"
		r.Credentials = tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.prod.ID, Secret: "prod-secret"}
	}))
	caller := tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.sandbox.ID, Secret: "sandbox-secret"}

	res, oerr := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken)
	if oerr != nil || !res.Active || res.ClientID != f.sandbox.ID || res.Scope != "ledger:read ledger:write" ||
		res.TokenType != "Bearer" || res.ExpiresAt != f.clock.Now().Unix()+300 || res.AccountID != f.sandbox.AccountID {
		t.Fatalf("introspection = %+v, %v", res, oerr)
	}
	if res, _ := f.issuer.Introspect("sandbox", caller, here, prodTok.AccessToken); res.Active {
		t.Fatal("a production token must be inactive in sandbox")
	}
	if res, _ := f.issuer.Introspect("sandbox", caller, here, "garbage"); res.Active {
		t.Fatal("garbage must be inactive")
	}
	if _, oerr := f.issuer.Introspect("sandbox", tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.sandbox.ID, Secret: "x"}, here, tok.AccessToken); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
		t.Fatal("a wrongly authenticated caller must get invalid_client")
	}
	f.clock.Add(301 * time.Second)
	if err := f.dir.Refresh(ctx); err != nil { // keep the cache fresh under the moved clock
		t.Fatal(err)
	}
	if res, _ := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken); res.Active {
		t.Fatal("an expired token must be inactive")
	}
}

func TestRevocation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := f.issuer.Issue(ctx, f.request(nil))
	owner := tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.sandbox.ID, Secret: "sandbox-secret"}
	other := f.addClient(t, "sandbox", "other-secret", f.sandbox.AccountID)
	f.dir.Refresh(ctx)
	otherCreds := tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: other.ID, Secret: "other-secret"}

	if oerr := f.issuer.Revoke(ctx, "sandbox", otherCreds, here, tok.AccessToken); oerr == nil || oerr.Code != tokens.ErrUnauthorizedClient {
		t.Fatalf("another client's revocation = %v, want unauthorized_client", oerr)
	}
	if res, _ := f.issuer.Introspect("sandbox", owner, here, tok.AccessToken); !res.Active {
		t.Fatal("a refused revocation must leave the token valid")
	}
	if oerr := f.issuer.Revoke(ctx, "sandbox", owner, here, "not-a-token"); oerr != nil {
		t.Fatalf("an invalid token must be accepted silently, got %v", oerr)
	}
	if oerr := f.issuer.Revoke(ctx, "sandbox", owner, here, tok.AccessToken); oerr != nil {
		t.Fatal(oerr)
	}
	if res, _ := f.issuer.Introspect("sandbox", owner, here, tok.AccessToken); res.Active {
		t.Fatal("a revoked token must be inactive at once")
	}
	// A second directory, as another replica or a restarted server would
	// have, sees the revocation from the store.
	d2 := cache.New(cache.Config{Store: f.store, Now: f.clock.Now})
	if err := d2.Load(ctx); err != nil || !d2.Revoked(claimsOf(t, tok.AccessToken)["jti"].(string)) {
		t.Fatalf("a fresh load must see the revocation (%v)", err)
	}
}

func TestAuthenticateBearerAcceptsAPIKeysAndTokens(t *testing.T) {
	f := newFixture(t)
	// The fixture's secret is not base62-sized, so build a real one.
	secret, _ := gatehouse.NewSecret(rand.Reader)
	c, _ := f.store.Client(context.Background(), f.sandbox.ID)
	c.Secrets = append(c.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret(secret), CreatedAt: f.clock.Now()})
	if err := f.store.UpdateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	f.dir.Refresh(context.Background())
	key := gatehouse.FormatAPIKey("sandbox", f.sandbox.ID, secret)
	p, err := f.issuer.AuthenticateBearer("sandbox", key, here)
	if err != nil || p.ClientID != f.sandbox.ID || !p.HasScope("ledger:write") {
		t.Fatalf("API key principal = %+v, %v", p, err)
	}
	tok, _ := f.issuer.Issue(context.Background(), f.request(func(r *tokens.Request) { r.Scope = "ledger:read" }))
	p, err = f.issuer.AuthenticateBearer("sandbox", tok.AccessToken, here)
	if err != nil || p.HasScope("ledger:write") || !p.HasScope("ledger:read") {
		t.Fatalf("token principal = %+v, %v", p, err)
	}
	for name, cred := range map[string]string{
		"an empty credential":            "",
		"a key with a bad checksum":      badChecksum(key),
		"a token of another environment": tok.AccessToken,
	} {
		env := "sandbox"
		if name == "a token of another environment" {
			env = "production"
		}
		if _, err := f.issuer.AuthenticateBearer(env, cred, here); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("%s: err = %v, want unauthorized", name, err)
		}
	}
}

func TestAuthenticateBearerAnswersUnavailableWhenTheClientCannotBeRead(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret, _ := gatehouse.NewSecret(rand.Reader)
	c, _ := f.store.Client(ctx, f.sandbox.ID)
	c.Secrets = append(c.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret(secret), CreatedAt: f.clock.Now()})
	if err := f.store.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A replica that has not read the client yet, whose store then fails
	// (as a read stuck behind a busy database does).
	dir := cache.New(cache.Config{Store: f.store, Now: f.clock.Now})
	if err := dir.Load(ctx); err != nil {
		t.Fatal(err)
	}
	issuer := tokens.NewIssuer(tokens.Config{
		Directory: dir, Store: f.store, IssuerURL: func(env string) string { return issuerBase + env },
		Now: f.clock.Now, Rand: rand.Reader, MaxStaleness: time.Minute,
	})
	f.store.Close()
	key := gatehouse.FormatAPIKey("sandbox", f.sandbox.ID, secret)
	if _, err := issuer.AuthenticateBearer("sandbox", key, here); gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE {
		t.Fatalf("a valid API key whose client cannot be read: %v, want unavailable (not unauthorized)", err)
	}
}

func TestStaleCacheAnswersTemporarilyUnavailable(t *testing.T) {
	f := newFixture(t)
	f.clock.Add(2 * time.Minute) // no sync for longer than MaxStaleness
	_, oerr := f.issuer.Issue(context.Background(), f.request(nil))
	if oerr == nil || oerr.Code != tokens.ErrTemporarilyUnavailable || oerr.Status != 503 {
		t.Fatalf("error = %+v, want 503 temporarily_unavailable", oerr)
	}
	f.dir.Refresh(context.Background())
	if _, oerr := f.issuer.Issue(context.Background(), f.request(nil)); oerr != nil {
		t.Fatalf("after a sync the issuer must serve again: %v", oerr)
	}
}

// BenchmarkIssue measures the in-process issuing core: authentication from
// the cache, scope checks, claims, and a signature, for each algorithm.
func BenchmarkIssue(b *testing.B) {
	for _, alg := range []string{gatehouse.AlgES256, gatehouse.AlgEdDSA, gatehouse.AlgRS256} {
		b.Run(alg, func(b *testing.B) {
			f := newFixtureAlg(b, alg)
			req := f.request(nil)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, oerr := f.issuer.Issue(ctx, req); oerr != nil {
					b.Fatal(oerr)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkIntrospect measures validating a token: signature, claims,
// revocation and client status, all from memory.
func BenchmarkIntrospect(b *testing.B) {
	f := newFixture(b)
	tok, _ := f.issuer.Issue(context.Background(), f.request(nil))
	caller := tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.sandbox.ID, Secret: "sandbox-secret"}
	b.ReportAllocs()
	for b.Loop() {
		if res, _ := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken); !res.Active {
			b.Fatal("inactive")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "introspections/s")
}

// badChecksum changes the last checksum character of an API key, so the key
// keeps its shape but no longer checks out.
func badChecksum(key string) string {
	last := byte('0')
	if key[len(key)-1] == '0' {
		last = '1'
	}
	return key[:len(key)-1] + string(last)
}
