package adminapi

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// clientKeys validates the public keys a request registers for
// private_key_jwt and returns them as stored: a JWK Set re-encoded with its
// public members only and a kid on every key (the RFC 7638 thumbprint where
// none was given), or the PEM text trimmed. Neither given is no keys.
func clientKeys(jwks wire.JWKS, pemText string) (storedJWKS, storedPEM string, err error) {
	raw := bytes.TrimSpace(jwks)
	if bytes.Equal(raw, []byte("null")) {
		raw = nil
	}
	if len(raw) > 0 && raw[0] != '{' {
		return "", "", gatehouse.Errorf(gatehouse.EINVALID, `jwks must be a JWK Set object {"keys":[...]}`)
	}
	pemText = strings.TrimSpace(pemText)
	keys, err := gatehouse.ParseClientKeys(string(raw), pemText)
	if err != nil || len(raw) == 0 {
		return "", pemText, err
	}
	storedJWKS, err = gatehouse.PublicJWKS(keys)
	return storedJWKS, "", err
}

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
func (h *Handler) setClientKeys(w http.ResponseWriter, r *http.Request) error {
	var req wire.SetClientKeysRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	jwks, pemText, err := clientKeys(req.JWKS, req.PublicKeyPEM)
	if err != nil {
		return err
	}
	c, err := h.loadClient(r)
	if err != nil {
		return err
	}
	c.JWKS, c.PublicKeyPEM = jwks, pemText
	c.UpdatedAt = h.now().UTC()
	ctx := r.Context()
	if err := h.store.UpdateClient(ctx, c); err != nil {
		return fmt.Errorf("set keys of client %s: %w", c.ID, err)
	}
	h.refresh(ctx)
	h.logger.InfoContext(ctx, "admin API: client keys replaced", "client_id", c.ID, "has_keys", c.HasAssertionKeys())
	stored, err := h.store.Client(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("load client: %w", err)
	}
	writeJSON(w, http.StatusOK, clientJSON(stored))
	return nil
}
