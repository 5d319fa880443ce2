package tokens_test

import (
	"context"
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// here is the address the tests' requests come from when it does not matter.
var here = netip.MustParseAddr("127.0.0.1")

// fenceSandbox gives the fixture's sandbox client the allowlist 10.0.0.0/8
// and a real (base62-sized) secret, and returns its API key and secret.
func fenceSandbox(t *testing.T, f *fixture) (apiKey, secret string) {
	t.Helper()
	ctx := context.Background()
	secret, _ = gatehouse.NewSecret(rand.Reader)
	c, err := f.store.Client(ctx, f.sandbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Secrets = append(c.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret(secret), CreatedAt: f.clock.Now()})
	c.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	if err := f.store.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return gatehouse.FormatAPIKey("sandbox", f.sandbox.ID, secret), secret
}

func TestTheAllowlistIsCheckedWhereverAClientAuthenticates(t *testing.T) {
	f := newFixture(t)
	apiKey, secret := fenceSandbox(t, f)
	inside, outside := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("127.0.0.1")
	creds := tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.sandbox.ID, Secret: secret}
	tok, oerr := f.issuer.Issue(context.Background(), f.request(func(r *tokens.Request) { r.RemoteIP = inside }))
	if oerr != nil {
		t.Fatalf("a token from inside the allowlist: %v", oerr)
	}
	ctx := context.Background()

	t.Run("Authenticate refuses an address outside the allowlist and admits one inside", func(t *testing.T) {
		if _, _, oerr := f.issuer.Authenticate("sandbox", creds, outside); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Errorf("from outside: %v, want invalid_client", oerr)
		}
		if c, _, oerr := f.issuer.Authenticate("sandbox", creds, inside); oerr != nil || c.ID != f.sandbox.ID {
			t.Errorf("from inside: %v", oerr)
		}
	})
	t.Run("introspection by a fenced client from outside is invalid_client", func(t *testing.T) {
		if _, oerr := f.issuer.Introspect("sandbox", creds, outside, tok.AccessToken); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Errorf("introspect from outside: %v, want invalid_client", oerr)
		}
		if res, oerr := f.issuer.Introspect("sandbox", creds, inside, tok.AccessToken); oerr != nil || !res.Active {
			t.Errorf("introspect from inside: %+v %v", res, oerr)
		}
	})
	t.Run("revocation by a fenced client from outside is invalid_client and the token stays valid", func(t *testing.T) {
		if oerr := f.issuer.Revoke(ctx, "sandbox", creds, outside, tok.AccessToken); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Errorf("revoke from outside: %v, want invalid_client", oerr)
		}
		if res, _ := f.issuer.Introspect("sandbox", creds, inside, tok.AccessToken); !res.Active {
			t.Error("the token was revoked from outside the allowlist")
		}
	})
	t.Run("the API key of a fenced client is refused as a bearer credential from outside", func(t *testing.T) {
		if _, err := f.issuer.AuthenticateBearer("sandbox", apiKey, outside); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("API key from outside: %v, want unauthorized", err)
		}
		if _, err := f.issuer.AuthenticateBearer("sandbox", apiKey, inside); err != nil {
			t.Errorf("API key from inside: %v", err)
		}
	})
	t.Run("a token of a fenced client is refused as a bearer credential from outside", func(t *testing.T) {
		if _, err := f.issuer.AuthenticateBearer("sandbox", tok.AccessToken, outside); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("token from outside: %v, want unauthorized", err)
		}
		if _, err := f.issuer.AuthenticateBearer("sandbox", tok.AccessToken, inside); err != nil {
			t.Errorf("token from inside: %v", err)
		}
	})
	t.Run("a token already issued is checked against the client's current allowlist", func(t *testing.T) {
		c, _ := f.store.Client(ctx, f.sandbox.ID)
		c.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}
		if err := f.store.UpdateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		f.dir.Refresh(ctx)
		if _, err := f.issuer.AuthenticateBearer("sandbox", tok.AccessToken, inside); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
			t.Errorf("token from an address the allowlist no longer holds: %v, want unauthorized", err)
		}
	})
}

func TestBearerTokensMustNameTheIssuerAndBeShortLived(t *testing.T) {
	f := newFixture(t)
	iss := tokens.NewIssuer(tokens.Config{
		Directory: f.dir, Store: f.store, IssuerURL: func(env string) string { return issuerBase + env },
		Now: f.clock.Now, Rand: rand.Reader, MaxStaleness: time.Minute, BearerLifetime: 10 * time.Minute,
	})
	ctx := context.Background()
	short, oerr := iss.Issue(ctx, f.request(nil)) // 5 minutes, aud = issuer
	if oerr != nil {
		t.Fatal(oerr)
	}
	if _, err := iss.AuthenticateBearer("sandbox", short.AccessToken, here); err != nil {
		t.Fatalf("a short-lived token for the issuer: %v", err)
	}
	forAPI, oerr := iss.Issue(ctx, f.request(func(r *tokens.Request) { r.Audiences = []string{"https://ledger.example.com"} }))
	if oerr != nil {
		t.Fatal(oerr)
	}
	if _, err := iss.AuthenticateBearer("sandbox", forAPI.AccessToken, here); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("a token whose audience is another API: %v, want unauthorized", err)
	}
	hour := time.Hour
	long, oerr := iss.Issue(ctx, f.request(func(r *tokens.Request) {
		r.Settings = &tokens.DialectSettings{Default: gatehouse.TokenOverrides{Lifetime: &hour}}
	}))
	if oerr != nil {
		t.Fatal(oerr)
	}
	if long.ExpiresIn != 3600 {
		t.Fatalf("a sandbox token is not capped, yet expires_in = %d", long.ExpiresIn)
	}
	if _, err := iss.AuthenticateBearer("sandbox", long.AccessToken, here); gatehouse.ErrorCode(err) != gatehouse.EUNAUTHORIZED {
		t.Errorf("a token issued to live an hour: %v, want unauthorized", err)
	}
}

func TestDialectsServeNeitherTheAdminEnvironmentNorOnesSwitchedOff(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	legacy := func(off map[string]bool) *tokens.Request {
		return f.request(func(r *tokens.Request) {
			r.Environment, r.Dialect = "", "lemonway"
			r.Settings = &tokens.DialectSettings{Off: off}
		})
	}
	if _, oerr := f.issuer.Issue(ctx, legacy(nil)); oerr != nil {
		t.Fatalf("a dialect serving sandbox: %v", oerr)
	}
	if _, oerr := f.issuer.Issue(ctx, legacy(map[string]bool{"sandbox": true})); oerr == nil || oerr.Code != tokens.ErrInvalidClient || oerr.Status != 401 {
		t.Errorf("a dialect switched off in sandbox: %+v, want 401 invalid_client", oerr)
	}
	if s := (&tokens.DialectSettings{}); s.Serves(gatehouse.EnvAdmin) || !s.Serves("sandbox") {
		t.Errorf("Serves(admin) = %v, Serves(sandbox) = %v", s.Serves(gatehouse.EnvAdmin), s.Serves("sandbox"))
	}
}

func TestIntrospectionAndBearerAuthenticationRespectMaxStaleness(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, oerr := f.issuer.Issue(ctx, f.request(nil))
	if oerr != nil {
		t.Fatal(oerr)
	}
	caller := tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: f.sandbox.ID, Secret: "sandbox-secret"}
	f.clock.Add(2 * time.Minute) // no sync for longer than MaxStaleness
	if _, oerr := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken); oerr == nil || oerr.Status != 503 {
		t.Errorf("introspection from a stale cache: %+v, want 503", oerr)
	}
	if oerr := f.issuer.Revoke(ctx, "sandbox", caller, here, tok.AccessToken); oerr == nil || oerr.Status != 503 {
		t.Errorf("revocation from a stale cache: %+v, want 503", oerr)
	}
	if _, err := f.issuer.AuthenticateBearer("sandbox", tok.AccessToken, here); gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE {
		t.Errorf("bearer authentication from a stale cache: %v, want unavailable", err)
	}
	f.dir.Refresh(ctx)
	if _, oerr := f.issuer.Introspect("sandbox", caller, here, tok.AccessToken); oerr != nil {
		t.Errorf("introspection after the cache caught up: %v", oerr)
	}
}
