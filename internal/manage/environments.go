package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/provision"
)

// Environments returns the environments the principal may use: all of them
// for operators and admin API callers; for an account's users every one but
// the admin environment.
func (s *Service) Environments(ctx context.Context, p *gatehouse.Principal) ([]*gatehouse.Environment, error) {
	if err := Authorize(p, ActRead, 0, "environments"); err != nil {
		return nil, err
	}
	list, err := s.store.Environments(ctx)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	if seesAllAccounts(p) {
		return list, nil
	}
	out := list[:0]
	for _, e := range list {
		if e.Name != gatehouse.EnvAdmin {
			out = append(out, e)
		}
	}
	return out, nil
}

// Environment returns one environment the principal may use.
func (s *Service) Environment(ctx context.Context, p *gatehouse.Principal, name string) (*gatehouse.Environment, error) {
	what := fmt.Sprintf("environment %q", name)
	if err := Authorize(p, ActRead, 0, what); err != nil {
		return nil, err
	}
	if !gatehouse.ValidEnvironmentName(name) || (name == gatehouse.EnvAdmin && !seesAllAccounts(p)) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
	}
	env, err := s.store.Environment(ctx, name)
	if err != nil {
		return nil, lookupError(err, what)
	}
	return env, nil
}

// RateLimitsPatch changes the rate limits that are set.
type RateLimitsPatch struct {
	ClientPerMinute, ClientBurst, IPPerMinute, IPBurst *int
}

func (p *RateLimitsPatch) apply(l *gatehouse.RateLimits) {
	if p == nil {
		return
	}
	for _, f := range []struct {
		src *int
		dst *int
	}{{p.ClientPerMinute, &l.ClientPerMinute}, {p.ClientBurst, &l.ClientBurst}, {p.IPPerMinute, &l.IPPerMinute}, {p.IPBurst, &l.IPBurst}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
}

// NewEnvironment is what a new environment is made of; unset settings take
// the defaults.
type NewEnvironment struct {
	Name             string
	SigningAlgorithm string // "" for ES256
	AllowReveal      bool
	Production       bool
	Tokens           *TokenSettingsPatch
	Limits           *RateLimitsPatch
}

// CreateEnvironment creates an environment with its first active signing
// key. An environment that exists is a conflict, unless an interrupted
// creation left it without a key, which this one completes.
func (s *Service) CreateEnvironment(ctx context.Context, p *gatehouse.Principal, req NewEnvironment) (*gatehouse.Environment, error) {
	if err := Authorize(p, ActOperate, 0, "environments"); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "name is required")
	}
	env := provision.New(req.Name, req.SigningAlgorithm)
	env.AllowReveal = req.AllowReveal
	env.Production = req.Production || req.Name == gatehouse.EnvProduction
	req.Limits.apply(&env.Limits)
	if req.Tokens != nil {
		if err := patchTokenSettings(&env.Tokens, req.Tokens); err != nil {
			return nil, err
		}
	}
	if err := env.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkOpaque(env.Tokens.Format); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	env.CreatedAt, env.UpdatedAt = now, now
	var res *provision.Result
	err := s.change(ctx, func(tx gatehouse.Store) error {
		var err error
		if res, err = provision.Environment(ctx, tx, env, s.rand, now); err != nil {
			return err
		}
		if !res.CreatedEnvironment && res.Key == nil {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "environment %q already exists", env.Name)
		}
		detail := "signing algorithm " + res.Environment.SigningAlgorithm
		if !res.CreatedEnvironment {
			detail = "completed: first signing key"
		}
		return s.audit(ctx, tx, p, "environment.create", "environment:"+env.Name, env.Name, detail)
	})
	if err != nil {
		if gatehouse.ErrorCode(err) != gatehouse.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("create environment %s: %w", env.Name, err)
	}
	s.logger.InfoContext(ctx, "manage: environment created", "environment", env.Name,
		"signing_algorithm", res.Environment.SigningAlgorithm, "actor", p.Actor())
	return res.Environment, nil
}

// EnvironmentPatch changes the settings of an environment that are set.
type EnvironmentPatch struct {
	Tokens      *TokenSettingsPatch
	AllowReveal Field[bool]
	Limits      *RateLimitsPatch
	// Production marks the environment production (or not).
	Production Field[bool]
	// SigningAlgorithm is the algorithm of the environment's next keys.
	SigningAlgorithm Field[string]
}

// UpdateEnvironment changes an environment's token settings, reveal switch
// and rate limits.
func (s *Service) UpdateEnvironment(ctx context.Context, p *gatehouse.Principal, name string, patch EnvironmentPatch) (*gatehouse.Environment, error) {
	what := fmt.Sprintf("environment %q", name)
	if err := Authorize(p, ActOperate, 0, what); err != nil {
		return nil, err
	}
	if !gatehouse.ValidEnvironmentName(name) {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
	}
	env, err := s.store.Environment(ctx, name)
	if err != nil {
		return nil, lookupError(err, what)
	}
	if patch.Tokens != nil {
		if err := patchTokenSettings(&env.Tokens, patch.Tokens); err != nil {
			return nil, err
		}
	}
	if a := patch.AllowReveal; a.Set {
		if a.Null {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "allow_reveal cannot be null")
		}
		env.AllowReveal = a.Value
	}
	if f := patch.Production; f.Set {
		if f.Null {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "production cannot be null")
		}
		env.Production = f.Value
	}
	if f := patch.SigningAlgorithm; f.Set {
		if f.Null {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "signing_algorithm cannot be null")
		}
		env.SigningAlgorithm = f.Value
	}
	patch.Limits.apply(&env.Limits)
	if err := env.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkOpaque(env.Tokens.Format); err != nil {
		return nil, err
	}
	env.UpdatedAt = s.now().UTC()
	err = s.change(ctx, func(tx gatehouse.Store) error {
		if err := tx.UpdateEnvironment(ctx, env); err != nil {
			if errors.Is(err, gatehouse.ErrNotFound) {
				return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
			}
			return fmt.Errorf("update environment %s: %w", name, err)
		}
		return s.audit(ctx, tx, p, "environment.update", "environment:"+name, name, "")
	})
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "manage: environment updated", "environment", name,
		"token_format", env.Tokens.Format, "token_lifetime", env.Tokens.Lifetime, "token_reuse", env.Tokens.Reuse,
		"allow_reveal", env.AllowReveal, "production", env.Production, "signing_algorithm", env.SigningAlgorithm, "actor", p.Actor())
	return env, nil
}

// patchTokenSettings applies p to an environment's settings. Only
// default_audience may be null (it clears it).
func patchTokenSettings(s *gatehouse.TokenSettings, p *TokenSettingsPatch) error {
	for _, f := range []struct {
		name string
		null bool
	}{{"format", p.Format.Null}, {"lifetime_seconds", p.LifetimeSeconds.Null}, {"reuse", p.Reuse.Null}} {
		if f.null {
			return gatehouse.Errorf(gatehouse.EINVALID, "token_settings.%s cannot be null in an environment", f.name)
		}
	}
	if p.Format.Set {
		if err := gatehouse.ValidateTokenFormat(p.Format.Value); err != nil {
			return err
		}
		s.Format = p.Format.Value
	}
	if p.LifetimeSeconds.Set {
		d, err := gatehouse.TokenLifetime(p.LifetimeSeconds.Value)
		if err != nil {
			return err
		}
		s.Lifetime = d
	}
	if p.Reuse.Set {
		s.Reuse = p.Reuse.Value
	}
	if a := p.DefaultAudience; a.Set {
		if a.Null {
			s.DefaultAudience = ""
		} else if err := gatehouse.ValidateDefaultAudience(a.Value, true); err != nil {
			return err
		} else {
			s.DefaultAudience = a.Value
		}
	}
	return nil
}
