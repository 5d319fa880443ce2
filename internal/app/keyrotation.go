package app

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/httpapi"
	"github.com/gatehouse-dev/gatehouse/internal/keyrotation"
)

// SigningKeysConfig configures signing-key rotation (docs/tokens.md,
// "Signing keys") in the config file:
//
//	signing_keys:
//	  rotate_after: 2160h       # default 90 days: rotate when the active key is this old
//	  manual: false             # true: rotate only with `gatehouse keys rotate`
//	  publication_delay: 1h     # default 1h: a new key is in the JWKS this long before it signs
//	  check_interval: 1m        # default 1m: how often each replica advances rotations
//	  algorithm: ES256          # default ES256: algorithm of the environments the first start creates
type SigningKeysConfig struct {
	// RotateAfter is the age of an environment's active key at which a
	// rotation starts (default 90 days).
	RotateAfter time.Duration `yaml:"rotate_after"`
	// Manual switches automatic rotation off; promotions and removals of
	// rotations started with `gatehouse keys rotate` still happen.
	Manual bool `yaml:"manual"`
	// PublicationDelay is how long a new key is published in the JWKS before
	// it signs (default 1h, at least 1m: the JWKS is served with max-age 60).
	PublicationDelay time.Duration `yaml:"publication_delay"`
	// CheckInterval is how often each replica promotes due keys, removes
	// expired ones and starts due rotations (default 1m).
	CheckInterval time.Duration `yaml:"check_interval"`
	// Algorithm is the signing algorithm of the environments the first
	// start creates (ES256, EdDSA or RS256; default ES256).
	Algorithm string `yaml:"algorithm"`
}

func (c *SigningKeysConfig) defaults() {
	if c.RotateAfter == 0 {
		c.RotateAfter = keyrotation.DefaultRotateAfter
	}
	if c.PublicationDelay == 0 {
		c.PublicationDelay = keyrotation.DefaultPublicationDelay
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = time.Minute
	}
	if c.Algorithm == "" {
		c.Algorithm = gatehouse.AlgES256
	}
}

func (c SigningKeysConfig) validate() error {
	switch {
	case c.PublicationDelay < time.Minute:
		return fmt.Errorf("signing_keys.publication_delay %s must be at least 1m, the JWKS cache lifetime", c.PublicationDelay)
	case c.RotateAfter <= c.PublicationDelay:
		return fmt.Errorf("signing_keys.rotate_after %s must be longer than publication_delay %s", c.RotateAfter, c.PublicationDelay)
	case c.CheckInterval < time.Second:
		return fmt.Errorf("signing_keys.check_interval %s must be at least 1s", c.CheckInterval)
	}
	if err := gatehouse.ValidateSigningAlgorithm(c.Algorithm); err != nil {
		return fmt.Errorf("signing_keys.algorithm: %w", err)
	}
	return nil
}

// newKeyRotator returns the rotator that the admin API and the background
// loop share. A retired key stays published for the longest token lifetime
// plus the cache staleness bound: a replica that has not seen the promotion
// yet may sign with the retired key that long.
func (m *Main) newKeyRotator() *keyrotation.Rotator {
	cfg := m.Config.SigningKeys
	rotateAfter := cfg.RotateAfter
	if cfg.Manual {
		rotateAfter = 0
	}
	dialects, _ := m.Config.Dialects.dialects() // validated in Open
	return keyrotation.New(keyrotation.Config{
		Store: m.store, Now: m.Now, Rand: m.Rand, Logger: m.Logger,
		PublicationDelay: cfg.PublicationDelay,
		RotateAfter:      rotateAfter,
		RetireMargin:     m.Config.CacheMaxStaleness + time.Minute,
		ExtraLifetime:    func(env string) time.Duration { return dialectLifetime(dialects, env) },
	})
}

// dialectLifetime is the longest lifetime a legacy dialect gives tokens of
// env by its own settings.
func dialectLifetime(d httpapi.Dialects, env string) time.Duration {
	var longest time.Duration
	for _, dl := range []httpapi.Dialect{d.Lengow, d.Lemonway} {
		if !dl.Enabled {
			continue
		}
		if o, ok := dl.Settings.Environments[env]; ok && o.Lifetime != nil {
			longest = max(longest, *o.Lifetime)
		} else if l := dl.Settings.Default.Lifetime; l != nil {
			longest = max(longest, *l)
		}
	}
	return longest
}

// AdvanceSigningKeys takes the signing keys of every environment one step
// along their rotation at the server's clock (promotions, removals, due
// rotations) and makes the cache see the result. The background loop calls
// it every signing_keys.check_interval; tests call it after moving the
// clock.
func (m *Main) AdvanceSigningKeys(ctx context.Context) error {
	changed, err := m.rotator.AdvanceAll(ctx)
	if changed {
		if rerr := m.dir.Refresh(ctx); rerr != nil {
			m.Logger.Warn("signing keys changed; the cache catches up on its next sync", "err", rerr)
		}
	}
	return err
}

// rotateSigningKeys runs AdvanceSigningKeys every check interval until ctx
// ends. Every replica runs it; the store's compare-and-swap steps make
// replicas agree.
func (m *Main) rotateSigningKeys(ctx context.Context) {
	t := time.NewTicker(m.Config.SigningKeys.CheckInterval)
	defer t.Stop()
	for {
		if err := m.AdvanceSigningKeys(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Warn("signing key rotation", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
