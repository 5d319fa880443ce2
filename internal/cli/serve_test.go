package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func TestServerConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gatehouse.yaml")
	os.WriteFile(file, []byte("addr: 127.0.0.1:7000\npublic_url: https://file.example.com\ndata_dir: /from/file\nlog_level: warn\ncache_poll: 1s\n"), 0o600)
	t.Setenv("GATEHOUSE_PUBLIC_URL", "https://env.example.com")
	t.Setenv("GATEHOUSE_DATA_DIR", "/from/env")
	t.Setenv("GATEHOUSE_CONFIG", file)

	var f serverFlags
	cmd := &cobra.Command{Use: "serve"}
	f.register(cmd.Flags())
	if err := cmd.Flags().Parse([]string{"--data-dir", "/from/flag"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.resolve(cmd.Flags())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"a flag beats the environment", cfg.DataDir, "/from/flag"},
		{"the environment beats the file", cfg.PublicURL, "https://env.example.com"},
		{"the file beats the default", cfg.Addr, "127.0.0.1:7000"},
		{"the file sets log_level", cfg.LogLevel, "warn"},
		{"the database follows the data directory", cfg.Database, "sqlite:///from/flag/gatehouse.db"},
		{"defaults fill the rest", cfg.LogFormat, "text"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if cfg.CachePoll != time.Second {
		t.Errorf("cache_poll from the file = %v, want 1s", cfg.CachePoll)
	}
}

func TestServerConfigRefusesBadValues(t *testing.T) {
	for name, args := range map[string][]string{
		"a relative public URL":            {"--public-url", "auth.example.com"},
		"an unknown database":              {"--database", "mysql://x"},
		"an unknown log format":            {"--log-format", "xml"},
		"a missing config file":            {"--config", "/nonexistent/gatehouse.yaml"},
		"a negative cache_poll":            {"--config", configFile(t, "cache_poll: -1s\n")},
		"a negative cache_max_staleness":   {"--config", configFile(t, "cache_max_staleness: -5s\n")},
		"a negative duration further down": {"--config", configFile(t, "signing_keys:\n  rotate_after: -1h\n")},
		"a misspelt key":                   {"--config", configFile(t, "cache_pol: 1s\n")},
		"a key of another program":         {"--config", configFile(t, "listen_port: 8080\n")},
		"a misspelt nested key":            {"--config", configFile(t, "protection:\n  fail_close: true\n")},
		"a master key that is not base64":  {"--config", configFile(t, "master_key: not-a-key\n")},
		"two YAML documents":               {"--config", configFile(t, "addr: 127.0.0.1:1\n---\naddr: 127.0.0.1:2\n")},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			var f serverFlags
			cmd := &cobra.Command{Use: "serve"}
			f.register(cmd.Flags())
			if err := cmd.Flags().Parse(args); err != nil {
				t.Fatal(err)
			}
			if _, err := f.resolve(cmd.Flags()); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

// configFile writes a config file with content and returns its path.
func configFile(t *testing.T, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestServerConfigErrorsNameTheKey(t *testing.T) {
	for content, want := range map[string]string{
		"cache_pol: 1s\n":                    "unknown key cache_pol",
		"cache_max_staleness: -5s\n":         "cache_max_staleness -5s",
		"protection:\n  ban_duration: -1m\n": "protection.ban_duration -1m0s",
	} {
		var f serverFlags
		cmd := &cobra.Command{Use: "serve"}
		f.register(cmd.Flags())
		if err := cmd.Flags().Parse([]string{"--config", configFile(t, content)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.resolve(cmd.Flags()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want it to say %q", content, err, want)
		}
	}
}

func TestServeHelpListsEveryConfigKey(t *testing.T) {
	out, _, err := run(t, "serve", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"dialects", "master_key", "cache_poll", "protection", "signing_keys", "metrics"} {
		if !strings.Contains(out, key) {
			t.Errorf("serve --help does not list the config key %s", key)
		}
	}
}

func TestServerSMTPConfig(t *testing.T) {
	file := configFile(t, "smtp:\n  host: smtp.example.com\n  from: noreply@example.com\n  username: mailer\n  password: from-file\n")
	t.Setenv("GATEHOUSE_SMTP_PASSWORD", "from-env")
	var f serverFlags
	cmd := &cobra.Command{Use: "serve"}
	f.register(cmd.Flags())
	if err := cmd.Flags().Parse([]string{"--config", file, "--smtp-port", "2525"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.resolve(cmd.Flags())
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.SMTP; s.Host != "smtp.example.com" || s.Port != 2525 || s.From != "noreply@example.com" ||
		s.Username != "mailer" || s.Password != "from-env" {
		t.Fatalf("smtp config %+v", s)
	}
	if cmd.Flags().Lookup("smtp-password") != nil {
		t.Fatal("the SMTP password must not be a flag (flags show in process lists)")
	}

	var bad serverFlags
	cmd = &cobra.Command{Use: "serve"}
	bad.register(cmd.Flags())
	if err := cmd.Flags().Parse([]string{"--smtp-host", "smtp.example.com", "--smtp-from", "nobody"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bad.resolve(cmd.Flags()); err == nil {
		t.Fatal("an SMTP sender that is not an address was accepted")
	}
}
