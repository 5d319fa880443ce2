package app

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfigFile(t *testing.T) {
	cfg, err := ParseConfigFile([]byte("cache_poll: 1s\nmetrics:\n  listen: 127.0.0.1:9100\n"))
	if err != nil || cfg.CachePoll != time.Second || cfg.Metrics.Listen != "127.0.0.1:9100" {
		t.Fatalf("%+v, %v", cfg, err)
	}
	if _, err := ParseConfigFile(nil); err != nil {
		t.Fatalf("an empty file: %v", err)
	}
	for body, want := range map[string]string{
		"cache_pol: 1s\n":                  "unknown key cache_pol",
		"signing_keys:\n  rotate: 1h\n":    "unknown key rotate",
		"addr: a\n---\naddr: b\n":          "more than one YAML document",
		"cache_poll: [1]\n":                "cannot unmarshal",
		"dialects:\n  lengow:\n    x: 1\n": "unknown key x",
	} {
		if _, err := ParseConfigFile([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}

func TestValidateRefusesNegativeDurationsEverywhere(t *testing.T) {
	for name, set := range map[string]func(*Config){
		"cache_poll":                  func(c *Config) { c.CachePoll = -time.Second },
		"cache_max_staleness":         func(c *Config) { c.CacheMaxStaleness = -5 * time.Second },
		"shutdown_timeout":            func(c *Config) { c.ShutdownTimeout = -time.Second },
		"signing_keys.check_interval": func(c *Config) { c.SigningKeys.CheckInterval = -time.Second },
		"connections.idle_timeout":    func(c *Config) { c.Connections.IdleTimeout = -time.Second },
		"protection.ban_duration":     func(c *Config) { c.Protection.BanDuration = -time.Second },
		"dashboard.idle_timeout":      func(c *Config) { c.Dashboard.IdleTimeout = -time.Second },
		"dialects.lengow.lifetime":    func(c *Config) { c.Dialects.Lengow.Lifetime = -time.Second },
		"cache_poll below 10ms":       func(c *Config) { c.CachePoll = time.Millisecond },
	} {
		var c Config
		set(&c)
		c.Defaults()
		if err := c.Validate(); err == nil {
			t.Errorf("%s: a negative or too short duration was accepted", name)
		}
	}
}

// FuzzParseConfigFile checks that no config file makes the loader, the
// defaults or the validation panic.
func FuzzParseConfigFile(f *testing.F) {
	f.Add([]byte("addr: 127.0.0.1:8080\ncache_poll: 250ms\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := ParseConfigFile(b)
		if err != nil {
			return
		}
		cfg.Defaults()
		if cfg.Validate() == nil && cfg.CachePoll <= 0 {
			t.Fatalf("accepted cache_poll %s", cfg.CachePoll)
		}
	})
}
