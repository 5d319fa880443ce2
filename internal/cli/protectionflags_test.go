package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// resolveServe resolves serve's configuration from a YAML file and args.
func resolveServe(t *testing.T, yaml string, args ...string) (app.Config, error) {
	t.Helper()
	clearEnv(t)
	for _, v := range []string{"CONFIG", "RATE_LIMITS", "TRUSTED_PROXIES", "BAN_DURATION", "FAIL_CLOSED", "AUDIT_RETENTION"} {
		t.Setenv("GATEHOUSE_"+v, "")
	}
	if yaml != "" {
		file := filepath.Join(t.TempDir(), "gatehouse.yaml")
		os.WriteFile(file, []byte(yaml), 0o600)
		args = append(args, "--config", file)
	}
	var f serverFlags
	cmd := &cobra.Command{Use: "serve"}
	f.register(cmd.Flags())
	registerProtectionFlags(cmd.Flags(), &f.cfg.Protection)
	registerDashboardFlags(cmd.Flags(), &f.cfg.Dashboard)
	if err := cmd.Flags().Parse(args); err != nil {
		t.Fatal(err)
	}
	return f.resolve(cmd.Flags())
}

func TestProtectionConfig(t *testing.T) {
	t.Run("defaults are documented values", func(t *testing.T) {
		cfg, err := resolveServe(t, "")
		if err != nil {
			t.Fatal(err)
		}
		p := cfg.Protection
		if !*p.RateLimits || p.BruteForce != (app.Threshold{Count: 20, Window: 10 * time.Minute}) ||
			p.Flood != (app.Threshold{Count: 100, Window: time.Minute}) || p.BanDuration != 15*time.Minute ||
			*p.AuditRetention != 90*24*time.Hour || p.FailClosed || len(p.TrustedProxies) != 0 {
			t.Fatalf("defaults %+v", p)
		}
	})
	t.Run("the file sets every field and flags beat it", func(t *testing.T) {
		cfg, err := resolveServe(t, `protection:
  rate_limits: false
  trusted_proxies: [10.0.0.0/8, 192.0.2.1]
  proxy_header: forwarded
  exempt_networks: [198.51.100.0/24]
  brute_force: {count: 5, window: 2m}
  flood: {count: 7, window: 30s}
  ban_duration: 1h
  fail_closed: true
  audit_retention: 0s
  slow_hash_per_client: {count: 3, window: 2s}
  slow_hash_global: {count: -1}
`, "--ban-duration", "2h", "--rate-limits=true")
		if err != nil {
			t.Fatal(err)
		}
		p := cfg.Protection
		if !*p.RateLimits || p.BanDuration != 2*time.Hour {
			t.Errorf("flags did not beat the file: rate limits %v, ban %v", *p.RateLimits, p.BanDuration)
		}
		if !slices.Equal(p.TrustedProxies, []string{"10.0.0.0/8", "192.0.2.1"}) || p.ProxyHeader != "forwarded" ||
			p.BruteForce != (app.Threshold{Count: 5, Window: 2 * time.Minute}) || p.Flood != (app.Threshold{Count: 7, Window: 30 * time.Second}) ||
			!p.FailClosed || *p.AuditRetention != 0 || !slices.Equal(p.ExemptNetworks, []string{"198.51.100.0/24"}) ||
			p.SlowHashPerClient != (app.Threshold{Count: 3, Window: 2 * time.Second}) || p.SlowHashGlobal.Count != -1 {
			t.Errorf("from the file: %+v", p)
		}
		if _, err := resolveServe(t, "protection:\n  slow_hash_global: {count: -2}\n"); err == nil || !strings.Contains(err.Error(), "slow_hash_global") {
			t.Errorf("a slow-hash count of -2: err = %v", err)
		}
	})
	t.Run("environment variables set flags", func(t *testing.T) {
		clearEnv(t)
		t.Setenv("GATEHOUSE_TRUSTED_PROXIES", "10.1.0.0/16,10.2.0.0/16")
		var f serverFlags
		cmd := &cobra.Command{Use: "serve"}
		f.register(cmd.Flags())
		registerProtectionFlags(cmd.Flags(), &f.cfg.Protection)
		cfg, err := f.resolve(cmd.Flags())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cfg.Protection.TrustedProxies, []string{"10.1.0.0/16", "10.2.0.0/16"}) {
			t.Fatalf("trusted proxies %v", cfg.Protection.TrustedProxies)
		}
	})
	t.Run("each threshold flag alone keeps the other's default", func(t *testing.T) {
		for _, tc := range []struct {
			args       []string
			brute, flo app.Threshold
		}{
			{[]string{"--brute-force-failures", "5"}, app.Threshold{Count: 5, Window: 10 * time.Minute}, app.Threshold{Count: 100, Window: time.Minute}},
			{[]string{"--brute-force-window", "2m"}, app.Threshold{Count: 20, Window: 2 * time.Minute}, app.Threshold{Count: 100, Window: time.Minute}},
			{[]string{"--flood-rejections", "7"}, app.Threshold{Count: 20, Window: 10 * time.Minute}, app.Threshold{Count: 7, Window: time.Minute}},
			{[]string{"--flood-window", "30s"}, app.Threshold{Count: 20, Window: 10 * time.Minute}, app.Threshold{Count: 100, Window: 30 * time.Second}},
		} {
			cfg, err := resolveServe(t, "", tc.args...)
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
				continue
			}
			if p := cfg.Protection; p.BruteForce != tc.brute || p.Flood != tc.flo {
				t.Errorf("%v: brute force %+v, flood %+v; want %+v, %+v", tc.args, p.BruteForce, p.Flood, tc.brute, tc.flo)
			}
		}
	})
	for name, args := range map[string][]string{
		"a trusted proxy that is no network": {"--trusted-proxies", "proxy.example.com"},
		"an unknown proxy header":            {"--proxy-header", "x-real-ip"},
		"a negative window":                  {"--brute-force-failures", "5", "--brute-force-window", "-1s"},
		"a negative retention":               {"--audit-retention", "-1h"},
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			if _, err := resolveServe(t, "", args...); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
