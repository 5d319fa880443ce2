package adminapi

import (
	"net"
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// revealClientSecret serves POST /admin/v1/clients/{client_id}/reveal. The
// body holds the email and password of a user, who must be an operator or
// an owner, admin or developer of the client's account. Every attempt is
// audited; the secret is shown only once its audit record is stored.
func (h *Handler) revealClientSecret(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var req wire.RevealRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	s, err := h.service.RevealSecret(r.Context(), p, r.PathValue("client_id"), req.Email, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.RevealedSecret{
		ClientID: s.ClientID, Environment: s.Environment, SecretID: s.SecretID,
		ClientSecret: s.Secret, APIKey: s.APIKey(),
	})
	return nil
}

// remoteIP returns the host part of the request's remote address.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
