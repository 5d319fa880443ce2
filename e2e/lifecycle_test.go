package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// tokenAnswer asks the standard token endpoint of env for a token with
// Basic credentials and returns the status and decoded body.
func tokenAnswer(t *testing.T, s *server, env, id, secret string) (int, map[string]any) {
	t.Helper()
	resp := postForm(t, s.tokenURL(env), url.Values{"grant_type": {"client_credentials"}}, id, secret)
	m := map[string]any{}
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// mustToken returns an access token or fails.
func mustToken(t *testing.T, s *server, env, id, secret string) (string, float64) {
	t.Helper()
	status, m := tokenAnswer(t, s, env, id, secret)
	if status != http.StatusOK {
		t.Fatalf("token request: %d %v", status, m)
	}
	return m["access_token"].(string), m["expires_in"].(float64)
}

// activeAt reports whether token introspects as active at env, asked by the
// client c.
func activeAt(t *testing.T, s *server, env string, c *wire.ClientWithSecret, token string) bool {
	t.Helper()
	return introspectClaims(t, s, env, c, token)["active"] == true
}

// jwtClaims decodes the payload of a JWT without checking it.
func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	json.Unmarshal(b, &m)
	return m
}

func TestTokenSettingsTakeEffectAtOnce(t *testing.T) {
	s := startServer(t, app.Config{})
	ctx := context.Background()
	c := s.createClient(t, wire.CreateClientRequest{})
	caller := s.createClient(t, wire.CreateClientRequest{Name: "resource server"})

	t.Run("an environment's lifetime applies to the next token", func(t *testing.T) {
		if _, err := s.Admin.UpdateEnvironment(ctx, "sandbox", adminclient.UpdateEnvironmentRequest{
			TokenSettings: &wire.TokenSettingsPatch{LifetimeSeconds: wire.Some(int64(3600))},
		}); err != nil {
			t.Fatal(err)
		}
		if _, expiresIn := mustToken(t, s, "sandbox", c.ClientID, c.ClientSecret); expiresIn != 3600 {
			t.Fatalf("expires_in %v, want 3600", expiresIn)
		}
	})
	t.Run("a client override makes its tokens opaque, and they introspect as active", func(t *testing.T) {
		if _, err := s.Admin.UpdateClient(ctx, c.ClientID, adminclient.UpdateClientRequest{
			TokenOverrides: &wire.TokenSettingsPatch{Format: wire.Some("opaque")},
		}); err != nil {
			t.Fatal(err)
		}
		tok, expiresIn := mustToken(t, s, "sandbox", c.ClientID, c.ClientSecret)
		if !strings.HasPrefix(tok, "gatehouse_at_") || strings.Contains(tok, ".") || expiresIn != 3600 {
			t.Fatalf("token %q expiring in %v, want an opaque token of the environment's lifetime", tok, expiresIn)
		}
		m := introspectClaims(t, s, "sandbox", caller, tok)
		if m["active"] != true || m["client_id"] != c.ClientID || m["iss"] != s.URL+"/realms/sandbox" {
			t.Fatalf("introspection %v", m)
		}
		other, _ := mustToken(t, s, "sandbox", caller.ClientID, caller.ClientSecret)
		if strings.Count(other, ".") != 2 {
			t.Fatalf("another client's token %q is not a JWT", other)
		}
	})
	t.Run("a 90-day reusable override gives the same token back", func(t *testing.T) {
		if _, err := s.Admin.UpdateClient(ctx, c.ClientID, adminclient.UpdateClientRequest{
			TokenOverrides: &wire.TokenSettingsPatch{LifetimeSeconds: wire.Some(int64(7776000)), Reuse: wire.Some(true)},
		}); err != nil {
			t.Fatal(err)
		}
		first, expiresIn := mustToken(t, s, "sandbox", c.ClientID, c.ClientSecret)
		second, _ := mustToken(t, s, "sandbox", c.ClientID, c.ClientSecret)
		if first != second || expiresIn > 7776000 || expiresIn < 7775990 {
			t.Fatalf("tokens %q and %q, expires_in %v", first, second, expiresIn)
		}
	})
	t.Run("clearing the overrides goes back to the environment's settings", func(t *testing.T) {
		got, err := s.Admin.UpdateClient(ctx, c.ClientID, adminclient.UpdateClientRequest{TokenOverrides: &wire.TokenSettingsPatch{
			Format: wire.Null[string](), LifetimeSeconds: wire.Null[int64](), Reuse: wire.Null[bool](),
		}})
		if err != nil || got.TokenOverrides != (wire.TokenOverrides{}) {
			t.Fatalf("overrides %+v, %v", got, err)
		}
		tok, expiresIn := mustToken(t, s, "sandbox", c.ClientID, c.ClientSecret)
		if strings.Count(tok, ".") != 2 || expiresIn != 3600 {
			t.Fatalf("token %q expiring in %v", tok, expiresIn)
		}
	})
}

func TestNewEnvironmentsIssueTokensAtOnce(t *testing.T) {
	s := startServer(t, app.Config{})
	ctx := context.Background()
	env, err := s.Admin.CreateEnvironment(ctx, adminclient.CreateEnvironmentRequest{
		Name: "test-clients", SigningAlgorithm: "EdDSA",
		TokenSettings: &wire.TokenSettingsPatch{Format: wire.Some("opaque"), LifetimeSeconds: wire.Some(int64(600))},
	})
	if err != nil || env.Issuer != s.URL+"/realms/test-clients" {
		t.Fatalf("create environment: %+v, %v", env, err)
	}
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	json.Unmarshal(get(t, s.URL+"/realms/test-clients/protocol/openid-connect/certs"), &jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0]["crv"] != "Ed25519" {
		t.Fatalf("JWKS %v, want one Ed25519 key", jwks.Keys)
	}
	c := s.createClient(t, wire.CreateClientRequest{Environment: "test-clients"})
	tok, expiresIn := mustToken(t, s, "test-clients", c.ClientID, c.ClientSecret)
	if !strings.HasPrefix(tok, "gatehouse_at_") || expiresIn != 600 {
		t.Fatalf("token %q expiring in %v", tok, expiresIn)
	}
	if !activeAt(t, s, "test-clients", c, tok) || activeAt(t, s, "sandbox", s.createClient(t, wire.CreateClientRequest{}), tok) {
		t.Fatal("the token is inactive in its environment or active in another")
	}
	if !strings.HasPrefix(c.APIKey, "gh_env_") {
		t.Errorf("API key %q of a free-named environment, want prefix gh_env_", c.APIKey)
	}
}

func TestSecretRotationGracePeriod(t *testing.T) {
	clk := &testClock{t: time.Now()}
	s := startServerWith(t, app.Config{CacheMaxStaleness: 24 * 365 * time.Hour}, func(m *app.Main) { m.Now = clk.Now })
	ctx := context.Background()
	c := s.createClient(t, wire.CreateClientRequest{})
	rotated, err := s.Admin.RotateClientSecret(ctx, c.ClientID, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(rotated.Secrets) != 2 {
		t.Fatalf("secrets after a rotation with grace: %+v", rotated.Secrets)
	}
	works := func(secret string) bool {
		status, _ := tokenAnswer(t, s, "sandbox", c.ClientID, secret)
		return status == http.StatusOK
	}
	t.Run("during the grace period both secrets get tokens", func(t *testing.T) {
		clk.Add(24*time.Hour - time.Second)
		// Let the watcher sync under the moved clock.
		eventually(t, 5*time.Second, func() error {
			if !works(c.ClientSecret) || !works(rotated.ClientSecret) {
				return errNotYet
			}
			return nil
		})
	})
	t.Run("when the grace period ends the old secret gets 401", func(t *testing.T) {
		clk.Add(time.Second)
		if works(c.ClientSecret) {
			t.Fatal("the old secret still gets tokens")
		}
		if !works(rotated.ClientSecret) {
			t.Fatal("the new secret stopped working")
		}
	})
	t.Run("a rotation with no grace kills the current secret at once", func(t *testing.T) {
		renewed, err := s.Admin.RotateClientSecret(ctx, c.ClientID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if works(rotated.ClientSecret) || !works(renewed.ClientSecret) || len(renewed.Secrets) != 1 {
			t.Fatalf("after renew: the previous secret works or the new one does not (secrets %+v)", renewed.Secrets)
		}
	})
	t.Run("a client never has more than two live secrets", func(t *testing.T) {
		var last *adminclient.ClientWithSecret
		for range 3 {
			if last, err = s.Admin.RotateClientSecret(ctx, c.ClientID, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if len(last.Secrets) != 2 {
			t.Fatalf("secrets %+v", last.Secrets)
		}
	})
}

func TestRevokingASecretOrAClientSticks(t *testing.T) {
	for _, format := range []string{"jwt", "opaque"} {
		t.Run(format+" tokens", func(t *testing.T) {
			s := startServer(t, app.Config{})
			ctx := context.Background()
			if _, err := s.Admin.UpdateEnvironment(ctx, "sandbox", adminclient.UpdateEnvironmentRequest{
				TokenSettings: &wire.TokenSettingsPatch{Format: wire.Some(format)},
			}); err != nil {
				t.Fatal(err)
			}
			c := s.createClient(t, wire.CreateClientRequest{})
			rs := s.createClient(t, wire.CreateClientRequest{Name: "resource server"})
			rotated, err := s.Admin.RotateClientSecret(ctx, c.ClientID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			oldTok, _ := mustToken(t, s, "sandbox", c.ClientID, c.ClientSecret)
			newTok, _ := mustToken(t, s, "sandbox", c.ClientID, rotated.ClientSecret)
			if format == "jwt" {
				if got := jwtClaims(t, oldTok)["secret_id"]; got != float64(c.Secrets[0].ID) {
					t.Fatalf("secret_id %v, want %d", got, c.Secrets[0].ID)
				}
			}
			if !activeAt(t, s, "sandbox", rs, oldTok) || !activeAt(t, s, "sandbox", rs, newTok) {
				t.Fatal("fresh tokens are inactive")
			}

			if _, err := s.Admin.RevokeClientSecret(ctx, c.ClientID, c.Secrets[0].ID); err != nil {
				t.Fatal(err)
			}
			if activeAt(t, s, "sandbox", rs, oldTok) {
				t.Fatal("a token of the revoked secret is still active")
			}
			if !activeAt(t, s, "sandbox", rs, newTok) {
				t.Fatal("a token of the other secret became inactive")
			}
			if status, _ := tokenAnswer(t, s, "sandbox", c.ClientID, c.ClientSecret); status != http.StatusUnauthorized {
				t.Fatalf("the revoked secret got %d", status)
			}

			if _, err := s.Admin.RevokeClient(ctx, c.ClientID); err != nil {
				t.Fatal(err)
			}
			if activeAt(t, s, "sandbox", rs, newTok) {
				t.Fatal("a token of the revoked client is still active")
			}
		})
	}
}

func TestOpaqueTokensAndRevocationsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	// A fixed public URL: the issuer, which tokens carry, must not change.
	const public = "https://auth.example.test"
	first := startServer(t, app.Config{DataDir: dir, PublicURL: public})
	ctx := context.Background()
	if _, err := first.Admin.UpdateEnvironment(ctx, "sandbox", adminclient.UpdateEnvironmentRequest{
		TokenSettings: &wire.TokenSettingsPatch{Format: wire.Some("opaque")},
	}); err != nil {
		t.Fatal(err)
	}
	c := first.createClient(t, wire.CreateClientRequest{})
	rs := first.createClient(t, wire.CreateClientRequest{Name: "resource server"})
	rotated, _ := first.Admin.RotateClientSecret(ctx, c.ClientID, time.Hour)
	kept, _ := mustToken(t, first, "sandbox", c.ClientID, rotated.ClientSecret)
	revoked, _ := mustToken(t, first, "sandbox", c.ClientID, c.ClientSecret)
	if _, err := first.Admin.RevokeClientSecret(ctx, c.ClientID, c.Secrets[0].ID); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("master.key: %v, %v; want mode 0600", info, err)
	}
	first.stop()

	second := startServer(t, app.Config{DataDir: dir, PublicURL: public})
	if !activeAt(t, second, "sandbox", rs, kept) {
		t.Fatal("an opaque token is inactive after a restart")
	}
	if activeAt(t, second, "sandbox", rs, revoked) {
		t.Fatal("a token of a revoked secret is active after a restart")
	}

	t.Run("a server with another master key refuses to start: it can open neither the signing keys nor the tokens", func(t *testing.T) {
		second.stop()
		m := app.New(app.Config{DataDir: dir, PublicURL: public, Addr: "127.0.0.1:0",
			MasterKey: base64.StdEncoding.EncodeToString(make([]byte, 32))}, slog.New(slog.DiscardHandler))
		defer m.Close()
		err := m.Open(context.Background())
		if err == nil || !strings.Contains(err.Error(), "does not open under the master key") {
			t.Fatalf("open with another master key: %v", err)
		}
	})
}

func TestRevealOverHTTP(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, app.Config{DataDir: dir})
	ctx := context.Background()
	early := s.createClient(t, wire.CreateClientRequest{Name: "early"})
	if _, err := s.Admin.UpdateEnvironment(ctx, "sandbox", adminclient.UpdateEnvironmentRequest{AllowReveal: wire.Some(true)}); err != nil {
		t.Fatal(err)
	}
	c := s.createClient(t, wire.CreateClientRequest{})
	prod := s.createClient(t, wire.CreateClientRequest{Environment: "production"})
	const pw = "operator-password-for-tests" // startServer's GATEHOUSE_ADMIN_PASSWORD

	got, err := s.Admin.RevealClientSecret(ctx, c.ClientID, "admin@localhost", pw)
	if err != nil || got.ClientSecret != c.ClientSecret || got.APIKey != c.APIKey {
		t.Fatalf("reveal: %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name, id, password string
		status             int
	}{
		{"a wrong password is 403", c.ClientID, "wrong", 403},
		{"an environment without reveal is 403", prod.ClientID, pw, 403},
		{"a secret from before reveal was allowed is 409", early.ClientID, pw, 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Admin.RevealClientSecret(ctx, tc.id, "admin@localhost", tc.password)
			var ae *adminclient.Error
			if !errors.As(err, &ae) || ae.Status != tc.status || ae.Message == "" {
				t.Fatalf("err %v, want status %d", err, tc.status)
			}
		})
	}
	t.Run("every reveal is audited and the secret never reaches the log", func(t *testing.T) {
		if strings.Contains(s.Logs.String(), c.ClientSecret) || strings.Contains(s.Logs.String(), pw) {
			t.Fatal("the log holds the secret or the password")
		}
		store, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(dir, "gatehouse.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		events, err := store.AuditEvents(ctx, gatehouse.AuditFilter{Action: "client.reveal"})
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[string]int{}
		for _, e := range events {
			outcomes[e.Outcome]++
			if strings.Contains(fmt.Sprint(e), c.ClientSecret) {
				t.Fatal("an audit event holds the secret")
			}
		}
		if outcomes[gatehouse.OutcomeSuccess] != 1 || outcomes[gatehouse.OutcomeDenied] != 3 {
			t.Fatalf("audited outcomes %v, want 1 success and 3 denied", outcomes)
		}
	})
}

func TestAPIKeysWithABadChecksumAreRefusedWhereverKeysAreAccepted(t *testing.T) {
	s := startServer(t, app.Config{})
	ctx := context.Background()
	// badChecksum keeps the client id and secret and changes the checksum,
	// so only the checksum check can refuse the key.
	badChecksum := func(key string) string {
		n := len(key) - 1
		if key[n] == 'A' {
			return key[:n] + "B"
		}
		return key[:n] + "A"
	}
	t.Run("at the admin API bearer", func(t *testing.T) {
		if _, err := s.Admin.Environments(ctx); err != nil {
			t.Fatalf("the admin key is refused: %v", err)
		}
		_, err := adminclient.New(s.URL, badChecksum(s.AdminKey), nil).Environments(ctx)
		var ae *adminclient.Error
		if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
			t.Fatalf("a key with a bad checksum: %v, want 401", err)
		}
	})
	t.Run("at the Lemonway-style token endpoint", func(t *testing.T) {
		c := s.createClient(t, wire.CreateClientRequest{})
		target := s.URL + "/oauth/api/v1/oauth/token"
		if resp, body := send(t, http.MethodPost, target, lemonwayHeaders("basic "+c.APIKey), "Grant_type=client_credentials"); resp.StatusCode != 200 {
			t.Fatalf("the well-formed key got %d %v", resp.StatusCode, body)
		}
		resp, body := send(t, http.MethodPost, target, lemonwayHeaders("basic "+badChecksum(c.APIKey)), "Grant_type=client_credentials")
		if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Fatalf("a key with a bad checksum got %d %v, want 401 invalid_client", resp.StatusCode, body)
		}
	})
}
