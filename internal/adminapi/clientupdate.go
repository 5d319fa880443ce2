package adminapi

import (
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// updateClient serves PATCH /admin/v1/clients/{client_id}: it changes the
// name, lists and token overrides present in the body.
func (h *Handler) updateClient(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var req wire.UpdateClientRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	c, err := h.service.UpdateClient(r.Context(), p, r.PathValue("client_id"), manage.ClientPatch{
		Name:         manage.Field[string](req.Name),
		Scopes:       manage.Field[[]string](req.Scopes),
		Audiences:    manage.Field[[]string](req.Audiences),
		AllowedCIDRs: manage.Field[[]string](req.AllowedCIDRs),
		Tokens:       tokenSettingsPatch(req.TokenOverrides),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clientJSON(c))
	return nil
}

// tokenSettingsPatch converts a token settings patch from the wire.
func tokenSettingsPatch(p *wire.TokenSettingsPatch) *manage.TokenSettingsPatch {
	if p == nil {
		return nil
	}
	return &manage.TokenSettingsPatch{
		Format:          manage.Field[string](p.Format),
		LifetimeSeconds: manage.Field[int64](p.LifetimeSeconds),
		Reuse:           manage.Field[bool](p.Reuse),
		DefaultAudience: manage.Field[string](p.DefaultAudience),
	}
}

// overridesJSON shows a client's token overrides.
func overridesJSON(o gatehouse.TokenOverrides) wire.TokenOverrides {
	out := wire.TokenOverrides{Format: o.Format, Reuse: o.Reuse, DefaultAudience: o.DefaultAudience}
	if o.Lifetime != nil {
		s := int64(*o.Lifetime / time.Second)
		out.LifetimeSeconds = &s
	}
	return out
}
