package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/httpapi"
)

// DialectsConfig configures the legacy (Lengow- and Lemonway-style) token endpoints in the
// config file:
//
//	dialects:
//	  lengow:
//	    enabled: true              # default true
//	    path: /access/get_token    # default
//	    lifetime: 1h               # default 1h
//	    reuse: false               # default false
//	    environments:
//	      production: {lifetime: 2h}
//	      sandbox: {enabled: false}  # clients of sandbox get 401 here
//	  lemonway:
//	    path: /oauth/api/v1/oauth/token
//	    lifetime: 2160h            # default 90 days
//	    reuse: true                # default true
type DialectsConfig struct {
	Lengow   DialectConfig `yaml:"lengow"`
	Lemonway DialectConfig `yaml:"lemonway"`
}

// DialectConfig configures one dialect; empty fields keep the defaults.
type DialectConfig struct {
	Enabled      *bool                           `yaml:"enabled"`
	Path         string                          `yaml:"path"`
	Lifetime     time.Duration                   `yaml:"lifetime"`
	Reuse        *bool                           `yaml:"reuse"`
	Environments map[string]DialectSettingConfig `yaml:"environments"`
}

// DialectSettingConfig overrides a dialect's token settings in one
// environment.
type DialectSettingConfig struct {
	// Enabled false keeps the dialect from serving the environment's
	// clients. It never serves the admin environment's.
	Enabled  *bool         `yaml:"enabled"`
	Lifetime time.Duration `yaml:"lifetime"`
	Reuse    *bool         `yaml:"reuse"`
}

// dialects returns the HTTP dialect configuration: the defaults with the
// config file's changes.
func (c DialectsConfig) dialects() (httpapi.Dialects, error) {
	d := httpapi.DefaultDialects()
	if err := c.Lengow.apply("lengow", &d.Lengow); err != nil {
		return d, err
	}
	if err := c.Lemonway.apply("lemonway", &d.Lemonway); err != nil {
		return d, err
	}
	if d.Lengow.Enabled && d.Lemonway.Enabled && d.Lengow.Path == d.Lemonway.Path {
		return d, fmt.Errorf("dialects lengow and lemonway cannot share the path %s", d.Lengow.Path)
	}
	return d, nil
}

func (c DialectConfig) apply(name string, d *httpapi.Dialect) error {
	if c.Enabled != nil {
		d.Enabled = *c.Enabled
	}
	if c.Path != "" {
		if !strings.HasPrefix(c.Path, "/") || strings.HasPrefix(c.Path, "/realms/") || strings.HasPrefix(c.Path, "/auth/") ||
			strings.HasPrefix(c.Path, "/admin/") || strings.ContainsAny(c.Path, "{}? ") {
			return fmt.Errorf("dialect %s: path %q must be an absolute path outside /realms/, /auth/ and /admin/", name, c.Path)
		}
		d.Path = c.Path
	}
	override := func(where string, lifetime time.Duration, reuse *bool, o *gatehouse.TokenOverrides) error {
		if lifetime != 0 {
			if lifetime < time.Second || lifetime > gatehouse.MaxTokenLifetime {
				return fmt.Errorf("dialect %s%s: lifetime %s must be between 1s and 90 days", name, where, lifetime)
			}
			o.Lifetime = &lifetime
		}
		if reuse != nil {
			o.Reuse = reuse
		}
		return nil
	}
	if err := override("", c.Lifetime, c.Reuse, &d.Settings.Default); err != nil {
		return err
	}
	for env, s := range c.Environments {
		if !gatehouse.ValidEnvironmentName(env) {
			return fmt.Errorf("dialect %s: %q is not an environment name", name, env)
		}
		var o gatehouse.TokenOverrides
		if err := override(" in "+env, s.Lifetime, s.Reuse, &o); err != nil {
			return err
		}
		if s.Enabled != nil && !*s.Enabled {
			if d.Settings.Off == nil {
				d.Settings.Off = map[string]bool{}
			}
			d.Settings.Off[env] = true
		}
		if d.Settings.Environments == nil {
			d.Settings.Environments = map[string]gatehouse.TokenOverrides{}
		}
		d.Settings.Environments[env] = o
	}
	return nil
}
