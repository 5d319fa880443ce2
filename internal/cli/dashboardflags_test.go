package cli

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDashboardConfig(t *testing.T) {
	t.Run("defaults are the documented values", func(t *testing.T) {
		cfg, err := resolveServe(t, "")
		if err != nil {
			t.Fatal(err)
		}
		d := cfg.Dashboard
		if !*d.Enabled || d.IdleTimeout != 30*time.Minute || d.AbsoluteTimeout != 12*time.Hour ||
			d.Lockout.AccountFailures != 5 || d.Lockout.AddressFailures != 20 || d.Lockout.Window != 15*time.Minute ||
			len(d.AllowedNetworks) != 0 {
			t.Fatalf("defaults %+v", d)
		}
	})
	t.Run("the file sets every field and flags beat it", func(t *testing.T) {
		cfg, err := resolveServe(t, `dashboard:
  enabled: false
  idle_timeout: 10m
  absolute_timeout: 2h
  allowed_networks: [10.0.0.0/8]
  lockout: {account_failures: 3, address_failures: 9, window: 5m}
`, "--dashboard-idle-timeout", "20m", "--dashboard-allowed-networks", "192.0.2.0/24,198.51.100.7", "--dashboard-account-failures", "4")
		if err != nil {
			t.Fatal(err)
		}
		d := cfg.Dashboard
		if *d.Enabled || d.IdleTimeout != 20*time.Minute || d.AbsoluteTimeout != 2*time.Hour ||
			!slices.Equal(d.AllowedNetworks, []string{"192.0.2.0/24", "198.51.100.7"}) ||
			d.Lockout.AccountFailures != 4 || d.Lockout.AddressFailures != 9 || d.Lockout.Window != 5*time.Minute {
			t.Fatalf("resolved %+v", d)
		}
	})
	t.Run("the environment sets a flag", func(t *testing.T) {
		t.Setenv("GATEHOUSE_DASHBOARD", "false")
		t.Setenv("GATEHOUSE_DASHBOARD_ABSOLUTE_TIMEOUT", "1h")
		cfg, err := resolveServe(t, "")
		if err != nil {
			t.Fatal(err)
		}
		if *cfg.Dashboard.Enabled || cfg.Dashboard.AbsoluteTimeout != time.Hour {
			t.Fatalf("resolved %+v", cfg.Dashboard)
		}
	})
	for _, tc := range []struct{ name, arg, want string }{
		{"a bad network is refused", "--dashboard-allowed-networks=not-a-network", "dashboard allowed network"},
		{"an idle timeout above the absolute one is refused", "--dashboard-idle-timeout=13h", "must not exceed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := resolveServe(t, "", tc.arg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
