package adminapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// createClient serves POST /admin/v1/clients. Without an account_id it also
// creates an account named after the client.
func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var req wire.CreateClientRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	created, err := h.service.CreateClient(r.Context(), p, manage.NewClient{
		Environment: req.Environment, AccountID: req.AccountID, Name: req.Name,
		Scopes: req.Scopes, Audiences: req.Audiences, AllowedCIDRs: req.AllowedCIDRs,
		JWKS: string(req.JWKS), PublicKeyPEM: req.PublicKeyPEM,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"clients/"+created.Client.ID)
	writeJSON(w, http.StatusCreated, withSecret(created))
	return nil
}

// listClients serves GET /admin/v1/clients?environment=&account_id=&limit=&after=.
func (h *Handler) listClients(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	f := gatehouse.ClientFilter{Environment: q.Get("environment"), AfterID: q.Get("after"), Limit: limit + 1}
	if s := q.Get("account_id"); s != "" {
		if f.AccountID, err = positiveID(s, "account_id"); err != nil {
			return err
		}
	}
	clients, err := h.service.Clients(r.Context(), p, f)
	if err != nil {
		return err
	}
	page := wire.ClientPage{Items: []wire.Client{}}
	if len(clients) > limit {
		clients = clients[:limit]
		page.NextAfter = clients[limit-1].ID
	}
	for _, c := range clients {
		page.Items = append(page.Items, clientJSON(c))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// getClient serves GET /admin/v1/clients/{client_id}.
func (h *Handler) getClient(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	c, err := h.service.Client(r.Context(), p, r.PathValue("client_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clientJSON(c))
	return nil
}

// rotateClientSecret serves POST /admin/v1/clients/{client_id}/rotate with
// an optional body {"grace_seconds":N}.
func (h *Handler) rotateClientSecret(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var req wire.RotateSecretRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	if req.GraceSeconds < 0 || req.GraceSeconds > int64(manage.MaxGrace/time.Second) {
		return gatehouse.Errorf(gatehouse.EINVALID, "grace_seconds must be between 0 and %d", int64(manage.MaxGrace/time.Second))
	}
	rotated, err := h.service.RotateSecret(r.Context(), p, r.PathValue("client_id"), time.Duration(req.GraceSeconds)*time.Second)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withSecret(rotated))
	return nil
}

// revokeClient serves POST /admin/v1/clients/{client_id}/revoke. Revoking a
// revoked client changes nothing and succeeds.
func (h *Handler) revokeClient(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	c, err := h.service.RevokeClient(r.Context(), p, r.PathValue("client_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clientJSON(c))
	return nil
}

// revokeClientSecret serves
// POST /admin/v1/clients/{client_id}/secrets/{secret_id}/revoke: the secret
// stops working at once and every token issued with it becomes inactive.
func (h *Handler) revokeClientSecret(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	clientID := r.PathValue("client_id")
	secretID, err := strconv.ParseInt(r.PathValue("secret_id"), 10, 64)
	if err != nil || secretID <= 0 {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "client %q has no secret %q", clientID, r.PathValue("secret_id"))
	}
	c, err := h.service.RevokeSecret(r.Context(), p, clientID, secretID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clientJSON(c))
	return nil
}

// clientUsage serves GET /admin/v1/clients/{client_id}/usage: how many
// tokens the client obtained and when it last did.
func (h *Handler) clientUsage(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	c, u, err := h.service.ClientUsage(r.Context(), p, r.PathValue("client_id"))
	if err != nil {
		return err
	}
	out := wire.ClientUsage{ClientID: c.ID, Environment: c.Environment}
	if u != nil {
		last := u.LastUsedAt.UTC()
		out.Tokens, out.LastUsedAt = u.Tokens, &last
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func clientJSON(c *gatehouse.Client) wire.Client {
	out := wire.Client{
		ClientID:     c.ID,
		LegacyAPIKey: gatehouse.IsLegacyKeyClient(c.ID),
		MustRotate:   c.MustRotate,
		Environment:  c.Environment,
		AccountID:    c.AccountID,
		Name:         c.Name,
		Scopes:       nonNil(c.Scopes),
		Audiences:    nonNil(c.Audiences),
		AllowedCIDRs: make([]string, 0, len(c.AllowedCIDRs)),
		Status:       c.Status,
		Secrets:      make([]wire.Secret, 0, len(c.Secrets)),
		CreatedAt:    c.CreatedAt.UTC(),
		UpdatedAt:    c.UpdatedAt.UTC(),
	}
	out.TokenOverrides = overridesJSON(c.Tokens)
	out.JWKS, out.PublicKeyPEM = clientKeysJSON(c)
	for _, p := range c.AllowedCIDRs {
		out.AllowedCIDRs = append(out.AllowedCIDRs, p.String())
	}
	for _, s := range c.Secrets {
		ws := wire.Secret{ID: s.ID, CreatedAt: s.CreatedAt.UTC(), ImportedHash: gatehouse.ImportedHashScheme(s.Imported)}
		if !s.ExpiresAt.IsZero() {
			t := s.ExpiresAt.UTC()
			ws.ExpiresAt = &t
		}
		out.Secrets = append(out.Secrets, ws)
	}
	return out
}

// withSecret is the answer of creating a client or rotating its secret: the
// only time the secret is shown.
func withSecret(c *manage.ClientWithSecret) wire.ClientWithSecret {
	return wire.ClientWithSecret{Client: clientJSON(c.Client), ClientSecret: c.Secret, APIKey: c.APIKey()}
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
