package adminapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// clientKeysJSON shows a client's registered keys: public keys only, as the
// store keeps nothing else.
func clientKeysJSON(c *gatehouse.Client) (wire.JWKS, string) {
	if c.JWKS == "" {
		return nil, c.PublicKeyPEM
	}
	return wire.JWKS(c.JWKS), c.PublicKeyPEM
}

// setClientKeys serves PUT and POST /admin/v1/clients/{client_id}/keys: it
// replaces the client's private_key_jwt keys (an empty body or {} removes
// them). Assertions signed with a removed key stop working at once.
func (h *Handler) setClientKeys(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var req wire.SetClientKeysRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	c, err := h.service.SetClientKeys(r.Context(), p, r.PathValue("client_id"), string(req.JWKS), req.PublicKeyPEM)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clientJSON(c))
	return nil
}
