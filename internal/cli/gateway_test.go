package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestGatewayConfigFlagsBeatEnvironmentWhichBeatsTheFile(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(config, []byte(`
upstream: http://file.example
issuer: http://auth.example/realms/production
listen: 127.0.0.1:9999
client_id: from-file
client_secret_file: `+secretFile+`
max_staleness: 30s
when_stale: refuse
deny_unlisted: true
rules:
  - path: /ledger
    scopes: [ledger:read]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GATEHOUSE_UPSTREAM", "http://env.example")
	t.Setenv("GATEHOUSE_CLIENT_ID", "from-env")
	t.Setenv("GATEHOUSE_CLIENT_SECRET", "")
	fs := pflag.NewFlagSet("gateway", pflag.ContinueOnError)
	var f gatewayFlags
	f.register(fs)
	if err := fs.Parse([]string{"--config", config, "--listen", "127.0.0.1:7777", "--require-scope", "a,b"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.resolve(fs)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Upstream != "http://env.example" || cfg.Listen != "127.0.0.1:7777" || cfg.ClientID != "from-env" {
		t.Errorf("precedence: upstream %q listen %q client %q", cfg.Upstream, cfg.Listen, cfg.ClientID)
	}
	if cfg.ClientSecret != "file-secret" || cfg.Audience != cfg.Issuer || cfg.MaxStaleness != 30*time.Second {
		t.Errorf("secret %q, audience %q, staleness %v", cfg.ClientSecret, cfg.Audience, cfg.MaxStaleness)
	}
	if strings.Join(cfg.RequireScopes, " ") != "a b" || !cfg.DenyUnlisted || len(cfg.List) != 1 || cfg.List[0].Scopes[0] != "ledger:read" {
		t.Errorf("scopes %v, rules %+v", cfg.RequireScopes, cfg.Rules)
	}
}

func TestGatewayConfigRefusesIncompleteSettings(t *testing.T) {
	for name, c := range map[string]gatewayConfig{
		"no upstream":           {Issuer: "http://auth.example/realms/x"},
		"a relative issuer":     {Upstream: "http://up.example", Issuer: "/realms/x"},
		"a client without key":  {Upstream: "http://up.example", Issuer: "http://a.example/realms/x", ClientID: "c"},
		"an unknown stale rule": {Upstream: "http://up.example", Issuer: "http://a.example/realms/x", WhenStale: "maybe"},
	} {
		if err := c.complete(); err == nil {
			t.Errorf("%s was accepted", name)
		}
	}
}
