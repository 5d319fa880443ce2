package cli

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/password"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// startLifecycleServer is startAdminServer with a master key and an
// operator admin@localhost whose password is "operator-pw".
func startLifecycleServer(t *testing.T) *adminServer {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, name := range []string{gatehouse.EnvSandbox, gatehouse.EnvProduction} {
		env := &gatehouse.Environment{Name: name, SigningAlgorithm: gatehouse.AlgES256, Tokens: gatehouse.DefaultTokenSettings(),
			Limits: gatehouse.DefaultRateLimits(), CreatedAt: now, UpdatedAt: now}
		if err := store.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	hash, _ := password.Hash("operator-pw", rand.Reader)
	if err := store.CreateUser(ctx, &gatehouse.User{Email: "admin@localhost", PasswordHash: hash, Operator: true, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, masterkey.Size)
	rand.Read(key)
	mk, _ := masterkey.New(key)
	h := adminapi.New(adminapi.Config{
		Store: store,
		Authenticate: func(r *http.Request) (*gatehouse.Principal, error) {
			if r.Header.Get("Authorization") != "Bearer "+testAdminKey {
				return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "bad admin key")
			}
			return &gatehouse.Principal{ClientID: "admin", Environment: gatehouse.EnvAdmin, Scopes: []string{gatehouse.ScopeAdminWrite}}, nil
		},
		Rand: rand.Reader, Now: func() time.Time { return now }, MasterKey: mk,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &adminServer{url: srv.URL, store: store}
}

func TestEnvCommands(t *testing.T) {
	srv := startLifecycleServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)

	t.Run("env update changes only the settings given", func(t *testing.T) {
		var e adminclient.Environment
		out, _ := mustRun(t, "env", "update", "production", "--server", srv.url, "--format", "opaque", "--lifetime", "90d", "--reuse", "--json")
		decodeJSON(t, out, &e)
		if s := e.TokenSettings; s.Format != "opaque" || s.LifetimeSeconds != 90*86400 || !s.Reuse || e.AllowReveal {
			t.Fatalf("settings %+v, allow_reveal %v", s, e.AllowReveal)
		}
		out, _ = mustRun(t, "env", "update", "production", "--server", srv.url, "--reuse=false", "--allow-reveal", "--json")
		decodeJSON(t, out, &e)
		if s := e.TokenSettings; s.Format != "opaque" || s.LifetimeSeconds != 90*86400 || s.Reuse || !e.AllowReveal {
			t.Fatalf("after a second update %+v, allow_reveal %v", s, e.AllowReveal)
		}
	})
	t.Run("env show prints the settings in text", func(t *testing.T) {
		out, _ := mustRun(t, "env", "show", "production", "--server", srv.url)
		for _, want := range []string{"token_format:", "opaque", "token_lifetime:", "90d (7776000 s)", "allow_reveal:", "true"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("env update sets the production mark, the signing algorithm and the rate limits; env show prints them", func(t *testing.T) {
		var e adminclient.Environment
		out, _ := mustRun(t, "env", "create", "--server", srv.url, "--name", "clients", "--production", "--json")
		decodeJSON(t, out, &e)
		if !e.Production {
			t.Fatalf("env create --production: %s", out)
		}
		out, _ = mustRun(t, "env", "update", "sandbox", "--server", srv.url, "--signing-alg", "RS256",
			"--client-per-minute", "600", "--client-burst", "20", "--production", "--json")
		decodeJSON(t, out, &e)
		if e.SigningAlgorithm != "RS256" || e.RateLimits.ClientPerMinute != 600 || e.RateLimits.ClientBurst != 20 || !e.Production {
			t.Fatalf("after env update: %s", out)
		}
		out, _ = mustRun(t, "env", "show", "sandbox", "--server", srv.url)
		for _, want := range []string{"rate_limits:", "per client 600/min (burst 20)", "production:", "gh_prd_"} {
			if !strings.Contains(out, want) {
				t.Errorf("env show lacks %q:\n%s", want, out)
			}
		}
		mustRun(t, "env", "update", "sandbox", "--server", srv.url, "--production=false", "--signing-alg", "ES256")
	})
	t.Run("env create makes an environment with the chosen algorithm and a key", func(t *testing.T) {
		var e adminclient.Environment
		out, _ := mustRun(t, "env", "create", "--server", srv.url, "--name", "test-clients", "--signing-alg", "EdDSA", "--lifetime", "1h", "--json")
		decodeJSON(t, out, &e)
		if e.Name != "test-clients" || e.SigningAlgorithm != "EdDSA" || e.TokenSettings.LifetimeSeconds != 3600 {
			t.Fatalf("created %+v", e)
		}
		keys, err := srv.store.SigningKeys(context.Background(), "test-clients")
		if err != nil || len(keys) != 1 || keys[0].Algorithm != "EdDSA" {
			t.Fatalf("keys %+v, %v", keys, err)
		}
	})
	t.Run("env list shows every environment", func(t *testing.T) {
		out, _ := mustRun(t, "env", "list", "--server", srv.url)
		for _, want := range []string{"production", "sandbox", "test-clients", "90d", "EdDSA"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"an update without flags is refused", []string{"env", "update", "sandbox"}, "nothing to change"},
		{"a bad lifetime is refused before any request", []string{"env", "update", "sandbox", "--lifetime", "soon"}, "lifetime"},
		{"a lifetime over 90 days is refused, naming the flag", []string{"env", "update", "sandbox", "--lifetime", "91d"}, "--lifetime 91d must be between 1s and 90d"},
		{"an existing environment cannot be created", []string{"env", "create", "--name", "test-clients"}, "already exists"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(t, append(tt.args, "--server", srv.url)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestParseLifetime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"3600", 3600, true}, {"90d", 7776000, true}, {"15m", 900, true}, {"24h", 86400, true},
		{"1.5s", 0, false}, {"d", 0, false}, {"soon", 0, false}, {"0", 0, false}, {"91d", 0, false},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseLifetime("--token-lifetime", tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("parseLifetime(%q) = %d, %v", tt.in, got, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "--token-lifetime ") {
				t.Fatalf("parseLifetime(%q): %v, want an error naming the flag", tt.in, err)
			}
		})
	}
}

func TestClientLifecycleCommands(t *testing.T) {
	srv := startLifecycleServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	t.Setenv("GATEHOUSE_PASSWORD", "")
	mustRun(t, "env", "update", "sandbox", "--server", srv.url, "--allow-reveal")
	var created adminclient.ClientWithSecret
	out, _ := mustRun(t, "client", "create", "--server", srv.url, "--env", "sandbox", "--name", "acme", "--scope", "a,b", "--json")
	decodeJSON(t, out, &created)
	id := created.ClientID

	t.Run("client update sets overrides and lists, and --inherit drops overrides", func(t *testing.T) {
		var c adminclient.Client
		out, _ := mustRun(t, "client", "update", id, "--server", srv.url, "--name", "acme two", "--scope", "a",
			"--token-format", "opaque", "--token-lifetime", "90d", "--token-reuse", "--json")
		decodeJSON(t, out, &c)
		o := c.TokenOverrides
		if c.Name != "acme two" || len(c.Scopes) != 1 || o.Format == nil || *o.Format != "opaque" ||
			o.LifetimeSeconds == nil || *o.LifetimeSeconds != 7776000 || o.Reuse == nil || !*o.Reuse {
			t.Fatalf("updated %+v", c)
		}
		out, _ = mustRun(t, "client", "update", id, "--server", srv.url, "--inherit", "format,reuse", "--scope", "", "--json")
		decodeJSON(t, out, &c)
		if o := c.TokenOverrides; o.Format != nil || o.Reuse != nil || o.LifetimeSeconds == nil || len(c.Scopes) != 0 {
			t.Fatalf("after --inherit %+v", c)
		}
		text, _ := mustRun(t, "client", "show", id, "--server", srv.url)
		if !strings.Contains(text, "token_lifetime:") || !strings.Contains(text, "90d (override)") {
			t.Errorf("client show does not show the override:\n%s", text)
		}
	})
	t.Run("client update refuses contradictions and unknown settings", func(t *testing.T) {
		for _, args := range [][]string{
			{"--inherit", "format", "--token-format", "jwt"},
			{"--inherit", "colour"},
			{},
		} {
			if _, _, err := run(t, append([]string{"client", "update", id, "--server", srv.url}, args...)...); err == nil {
				t.Errorf("client update %v succeeded", args)
			}
		}
	})
	t.Run("client reveal shows the secret after reading the password from a file", func(t *testing.T) {
		pwFile := filepath.Join(t.TempDir(), "pw")
		os.WriteFile(pwFile, []byte("operator-pw\n"), 0o600)
		var s adminclient.RevealedSecret
		out, _ := mustRun(t, "client", "reveal", id, "--server", srv.url, "--password-file", pwFile, "--json")
		decodeJSON(t, out, &s)
		if s.ClientSecret != created.ClientSecret || s.APIKey != created.APIKey {
			t.Fatalf("revealed %+v", s)
		}
	})
	t.Run("client reveal takes GATEHOUSE_PASSWORD and refuses a wrong one", func(t *testing.T) {
		t.Setenv("GATEHOUSE_PASSWORD", "wrong")
		_, _, err := run(t, "client", "reveal", id, "--server", srv.url)
		if err == nil || !strings.Contains(err.Error(), "password is wrong") {
			t.Fatalf("err %v", err)
		}
		t.Setenv("GATEHOUSE_PASSWORD", "operator-pw")
		out, _ := mustRun(t, "client", "reveal", id, "--server", srv.url)
		if !strings.Contains(out, created.ClientSecret) {
			t.Fatalf("output lacks the secret:\n%s", out)
		}
	})
	t.Run("client revoke-secret removes the secret", func(t *testing.T) {
		var c adminclient.Client
		out, _ := mustRun(t, "client", "revoke-secret", id, strconv.FormatInt(created.Secrets[0].ID, 10), "--server", srv.url, "--json")
		decodeJSON(t, out, &c)
		if len(c.Secrets) != 0 {
			t.Fatalf("secrets %+v", c.Secrets)
		}
		if _, _, err := run(t, "client", "revoke-secret", id, "x", "--server", srv.url); err == nil {
			t.Fatal("a secret id that is not a number was accepted")
		}
	})
}

func TestServeTakesTheMasterKeyFromTheEnvironmentOverTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gatehouse.yaml")
	const fromFile, fromEnv = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=" // 32 bytes each, base64
	os.WriteFile(file, []byte("master_key: "+fromFile+"\n"), 0o600)
	for _, tc := range []struct{ name, env, want string }{
		{"the file's key is used when the environment has none", "", fromFile},
		{"GATEHOUSE_MASTER_KEY beats the file", fromEnv, fromEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GATEHOUSE_MASTER_KEY", tc.env)
			var f serverFlags
			cmd := &cobra.Command{Use: "serve"}
			f.register(cmd.Flags())
			if err := cmd.Flags().Parse([]string{"--config", file}); err != nil {
				t.Fatal(err)
			}
			cfg, err := f.resolve(cmd.Flags())
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MasterKey != tc.want {
				t.Fatalf("master key %q, want %q", cfg.MasterKey, tc.want)
			}
		})
	}
}
