package adminapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// createEnvironment serves POST /admin/v1/environments: a new environment
// with its first active signing key. A request for an environment that
// exists is a conflict, unless that environment was left without a key by
// an interrupted creation, which this one completes.
func (h *Handler) createEnvironment(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var req wire.CreateEnvironmentRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	env, err := h.service.CreateEnvironment(r.Context(), p, manage.NewEnvironment{
		Name: req.Name, SigningAlgorithm: req.SigningAlgorithm, AllowReveal: req.AllowReveal, Production: req.Production,
		Tokens: tokenSettingsPatch(req.TokenSettings), Limits: rateLimitsPatch(req.RateLimits),
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"environments/"+env.Name)
	writeJSON(w, http.StatusCreated, h.environmentJSON(env))
	return nil
}

// updateEnvironment serves PATCH /admin/v1/environments/{env}: it changes
// the token settings, allow_reveal and rate limits present in the body.
func (h *Handler) updateEnvironment(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var req wire.UpdateEnvironmentRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	env, err := h.service.UpdateEnvironment(r.Context(), p, r.PathValue("env"), manage.EnvironmentPatch{
		Tokens: tokenSettingsPatch(req.TokenSettings), AllowReveal: manage.Field[bool](req.AllowReveal),
		Limits: rateLimitsPatch(req.RateLimits), Production: manage.Field[bool](req.Production),
		SigningAlgorithm: manage.Field[string](req.SigningAlgorithm),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.environmentJSON(env))
	return nil
}

// rateLimitsPatch converts a rate limits patch from the wire.
func rateLimitsPatch(p *wire.RateLimitsPatch) *manage.RateLimitsPatch {
	if p == nil {
		return nil
	}
	return &manage.RateLimitsPatch{
		ClientPerMinute: p.ClientPerMinute, ClientBurst: p.ClientBurst, IPPerMinute: p.IPPerMinute, IPBurst: p.IPBurst,
	}
}
