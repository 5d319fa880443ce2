package adminapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// listEnvironments serves GET /admin/v1/environments.
func (h *Handler) listEnvironments(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	envs, err := h.service.Environments(r.Context(), p)
	if err != nil {
		return err
	}
	out := wire.EnvironmentList{Items: make([]wire.Environment, 0, len(envs))}
	for _, e := range envs {
		out.Items = append(out.Items, h.environmentJSON(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getEnvironment serves GET /admin/v1/environments/{env}.
func (h *Handler) getEnvironment(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	env, err := h.service.Environment(r.Context(), p, r.PathValue("env"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.environmentJSON(env))
	return nil
}

func (h *Handler) environmentJSON(e *gatehouse.Environment) wire.Environment {
	issuer := ""
	if h.issuerURL != nil {
		issuer = h.issuerURL(e.Name)
	}
	return wire.Environment{
		Name:             e.Name,
		Issuer:           issuer,
		SigningAlgorithm: e.SigningAlgorithm,
		TokenSettings: wire.TokenSettings{
			Format:          e.Tokens.Format,
			LifetimeSeconds: int64(e.Tokens.Lifetime.Seconds()),
			Reuse:           e.Tokens.Reuse,
			DefaultAudience: e.Tokens.DefaultAudience,
		},
		AllowReveal: e.AllowReveal,
		Production:  e.Production,
		RateLimits:  rateLimitsJSON(e.Limits),
		CreatedAt:   e.CreatedAt.UTC(),
		UpdatedAt:   e.UpdatedAt.UTC(),
	}
}
