package adminapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/provision"
)

// createEnvironment serves POST /admin/v1/environments: a new environment
// with its first active signing key. A request for an environment that
// exists is a conflict, unless that environment was left without a key by
// an interrupted creation, which this one completes.
func (h *Handler) createEnvironment(w http.ResponseWriter, r *http.Request) error {
	var req wire.CreateEnvironmentRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if req.Name == "" {
		return gatehouse.Errorf(gatehouse.EINVALID, "name is required")
	}
	env := provision.New(req.Name, req.SigningAlgorithm)
	env.AllowReveal = req.AllowReveal
	patchRateLimits(&env.Limits, req.RateLimits)
	if req.TokenSettings != nil {
		if err := patchTokenSettings(&env.Tokens, req.TokenSettings); err != nil {
			return err
		}
	}
	if err := env.Validate(); err != nil {
		return err
	}
	if err := h.checkOpaque(env.Tokens.Format); err != nil {
		return err
	}
	ctx := r.Context()
	now := h.now().UTC()
	env.CreatedAt, env.UpdatedAt = now, now
	res, err := provision.Environment(ctx, h.store, env, h.rand, now)
	if err != nil {
		return fmt.Errorf("create environment %s: %w", env.Name, err)
	}
	if !res.CreatedEnvironment && res.Key == nil {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "environment %q already exists", env.Name)
	}
	h.refresh(ctx)
	kid := ""
	if res.Key != nil {
		kid = res.Key.ID
	}
	h.logger.InfoContext(ctx, "admin API: environment created", "environment", env.Name,
		"signing_algorithm", res.Environment.SigningAlgorithm, "kid", kid)
	w.Header().Set("Location", Prefix+"environments/"+env.Name)
	writeJSON(w, http.StatusCreated, h.environmentJSON(res.Environment))
	return nil
}

// updateEnvironment serves PATCH /admin/v1/environments/{env}: it changes
// the token settings and allow_reveal fields present in the body.
func (h *Handler) updateEnvironment(w http.ResponseWriter, r *http.Request) error {
	var req wire.UpdateEnvironmentRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	name := r.PathValue("env")
	if !gatehouse.ValidEnvironmentName(name) {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "environment %q not found", name)
	}
	ctx := r.Context()
	env, err := h.store.Environment(ctx, name)
	if err != nil {
		return lookupError(err, fmt.Sprintf("environment %q", name))
	}
	if req.TokenSettings != nil {
		if err := patchTokenSettings(&env.Tokens, req.TokenSettings); err != nil {
			return err
		}
	}
	if a := req.AllowReveal; a.Set {
		if a.Null {
			return gatehouse.Errorf(gatehouse.EINVALID, "allow_reveal cannot be null")
		}
		env.AllowReveal = a.Value
	}
	patchRateLimits(&env.Limits, req.RateLimits)
	if err := env.Validate(); err != nil {
		return err
	}
	if err := h.checkOpaque(env.Tokens.Format); err != nil {
		return err
	}
	env.UpdatedAt = h.now().UTC()
	if err := h.store.UpdateEnvironment(ctx, env); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "environment %q not found", name)
		}
		return fmt.Errorf("update environment %s: %w", name, err)
	}
	h.refresh(ctx)
	h.logger.InfoContext(ctx, "admin API: environment updated", "environment", name,
		"token_format", env.Tokens.Format, "token_lifetime", env.Tokens.Lifetime, "token_reuse", env.Tokens.Reuse,
		"allow_reveal", env.AllowReveal)
	writeJSON(w, http.StatusOK, h.environmentJSON(env))
	return nil
}

// patchTokenSettings applies p to an environment's settings s. Only
// default_audience may be null (it clears it).
func patchTokenSettings(s *gatehouse.TokenSettings, p *wire.TokenSettingsPatch) error {
	for field, o := range map[string]bool{"format": p.Format.Null, "lifetime_seconds": p.LifetimeSeconds.Null, "reuse": p.Reuse.Null} {
		if o {
			return gatehouse.Errorf(gatehouse.EINVALID, "token_settings.%s cannot be null in an environment", field)
		}
	}
	if p.Format.Set {
		if err := validFormat(p.Format.Value); err != nil {
			return err
		}
		s.Format = p.Format.Value
	}
	if p.LifetimeSeconds.Set {
		d, err := validLifetime(p.LifetimeSeconds.Value)
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
		} else if err := validAudience(a.Value, true); err != nil {
			return err
		} else {
			s.DefaultAudience = a.Value
		}
	}
	return nil
}

func validFormat(f string) error {
	switch f {
	case gatehouse.TokenFormatJWT, gatehouse.TokenFormatOpaque:
		return nil
	}
	return gatehouse.Errorf(gatehouse.EINVALID, "token format %q must be %q or %q", f, gatehouse.TokenFormatJWT, gatehouse.TokenFormatOpaque)
}

func validLifetime(sec int64) (time.Duration, error) {
	max := int64(gatehouse.MaxTokenLifetime / time.Second)
	if sec < 1 || sec > max {
		return 0, gatehouse.Errorf(gatehouse.EINVALID, "lifetime_seconds must be between 1 and %d (90 days)", max)
	}
	return time.Duration(sec) * time.Second, nil
}

// validAudience checks a default audience; "" is allowed where empty
// means none.
func validAudience(a string, emptyOK bool) error {
	if (a == "" && !emptyOK) || len(a) > 512 || strings.ContainsAny(a, " \t\r\n") {
		return gatehouse.Errorf(gatehouse.EINVALID, "default_audience %q must be at most 512 characters without spaces", a)
	}
	return nil
}

// checkOpaque refuses opaque tokens when the server has no master key to
// seal them with.
func (h *Handler) checkOpaque(format string) error {
	if format == gatehouse.TokenFormatOpaque && h.masterKey == nil {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "opaque tokens need a master key, and this server has none")
	}
	return nil
}
