package adminapi

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// maxGrace is the longest a rotated-out secret may stay valid.
const maxGrace = 30 * 24 * time.Hour

// createClient serves POST /admin/v1/clients. Without an account_id it first
// creates an account named after the client.
func (h *Handler) createClient(w http.ResponseWriter, r *http.Request) error {
	var req wire.CreateClientRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	now := h.now().UTC()
	c, err := newClient(req, now)
	if err != nil {
		return err
	}

	ctx := r.Context()
	env, err := h.store.Environment(ctx, c.Environment)
	if err != nil {
		return lookupError(err, fmt.Sprintf("environment %q", c.Environment))
	}
	if c.AccountID != 0 {
		if _, err := h.store.Account(ctx, c.AccountID); err != nil {
			return lookupError(err, fmt.Sprintf("account %d", c.AccountID))
		}
	}
	// Generate the credential before anything is written, so that a failure
	// leaves no account behind.
	if c.ID, err = gatehouse.NewClientID(h.rand); err != nil {
		return fmt.Errorf("generate client id: %w", err)
	}
	secret, err := gatehouse.NewSecret(h.rand)
	if err != nil {
		return fmt.Errorf("generate client secret: %w", err)
	}
	sealed, err := h.sealSecret(env, c.ID, secret)
	if err != nil {
		return fmt.Errorf("seal client secret: %w", err)
	}
	c.Secrets = []gatehouse.Secret{{Hash: gatehouse.HashSecret(secret), CreatedAt: now, Sealed: sealed}}

	if c.AccountID == 0 {
		a := &gatehouse.Account{Name: c.Name, CreatedAt: now}
		if err := h.store.CreateAccount(ctx, a); err != nil {
			return fmt.Errorf("create account for client: %w", err)
		}
		c.AccountID = a.ID
		h.logger.InfoContext(ctx, "admin API: account created", "account_id", a.ID)
	}
	if err := h.store.CreateClient(ctx, c); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "environment %q or account %d not found", c.Environment, c.AccountID)
		}
		return fmt.Errorf("create client: %w", err)
	}
	h.refresh(ctx)
	h.logger.InfoContext(ctx, "admin API: client created", "client_id", c.ID, "environment", c.Environment, "account_id", c.AccountID)

	stored, err := h.store.Client(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("load created client: %w", err)
	}
	w.Header().Set("Location", Prefix+"clients/"+c.ID)
	writeJSON(w, http.StatusCreated, withSecret(stored, secret))
	return nil
}

// newClient validates a create request and returns the client it asks for,
// without id and secrets; AccountID is 0 when a new account is wanted.
func newClient(req wire.CreateClientRequest, now time.Time) (*gatehouse.Client, error) {
	if req.Environment == "" {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "environment is required")
	}
	if req.AccountID < 0 {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "account_id must be a positive integer")
	}
	cidrs := make([]netip.Prefix, 0, len(req.AllowedCIDRs))
	for _, s := range req.AllowedCIDRs {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "allowed_cidrs: %q is not a CIDR prefix such as 203.0.113.0/24", s)
		}
		if p = p.Masked(); !slices.Contains(cidrs, p) {
			cidrs = append(cidrs, p)
		}
	}
	c := &gatehouse.Client{
		Environment:  req.Environment,
		AccountID:    req.AccountID,
		Name:         strings.TrimSpace(req.Name),
		Scopes:       distinct(req.Scopes),
		Audiences:    distinct(req.Audiences),
		AllowedCIDRs: cidrs,
		Status:       gatehouse.ClientActive,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	var err error
	if c.JWKS, c.PublicKeyPEM, err = clientKeys(req.JWKS, req.PublicKeyPEM); err != nil {
		return nil, err
	}
	// A client without account gets a new one, so validate the rest as if
	// it had one.
	check := *c
	if check.AccountID == 0 {
		check.AccountID = 1
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// listClients serves GET /admin/v1/clients?environment=&account_id=&limit=&after=.
func (h *Handler) listClients(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	f := gatehouse.ClientFilter{Environment: q.Get("environment"), AfterID: q.Get("after"), Limit: limit + 1}
	if f.Environment != "" && !gatehouse.ValidEnvironmentName(f.Environment) {
		return gatehouse.Errorf(gatehouse.EINVALID, "environment %q is not a valid environment name", f.Environment)
	}
	if s := q.Get("account_id"); s != "" {
		if f.AccountID, err = positiveID(s, "account_id"); err != nil {
			return err
		}
	}
	clients, err := h.store.Clients(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list clients: %w", err)
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
func (h *Handler) getClient(w http.ResponseWriter, r *http.Request) error {
	c, err := h.loadClient(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clientJSON(c))
	return nil
}

// rotateClientSecret serves POST /admin/v1/clients/{client_id}/rotate with
// an optional body {"grace_seconds":N}.
func (h *Handler) rotateClientSecret(w http.ResponseWriter, r *http.Request) error {
	var req wire.RotateSecretRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	grace := time.Duration(req.GraceSeconds) * time.Second
	if req.GraceSeconds < 0 || grace > maxGrace {
		return gatehouse.Errorf(gatehouse.EINVALID, "grace_seconds must be between 0 and %d", int64(maxGrace/time.Second))
	}
	c, err := h.loadClient(r)
	if err != nil {
		return err
	}
	if !c.Active() {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "client %s is revoked; its secret cannot be rotated", c.ID)
	}
	secret, err := gatehouse.NewSecret(h.rand)
	if err != nil {
		return fmt.Errorf("generate client secret: %w", err)
	}
	ctx := r.Context()
	env, err := h.store.Environment(ctx, c.Environment)
	if err != nil {
		return lookupError(err, fmt.Sprintf("environment %q", c.Environment))
	}
	sealed, err := h.sealSecret(env, c.ID, secret)
	if err != nil {
		return fmt.Errorf("seal client secret: %w", err)
	}
	now := h.now().UTC()
	fresh := gatehouse.Secret{Hash: gatehouse.HashSecret(secret), CreatedAt: now, Sealed: sealed}
	c.Secrets = rotateSecrets(c.Secrets, fresh, now, grace)
	c.UpdatedAt = now

	if err := h.store.UpdateClient(ctx, c); err != nil {
		return fmt.Errorf("rotate secret of client %s: %w", c.ID, err)
	}
	h.refresh(ctx)
	h.logger.InfoContext(ctx, "admin API: client secret rotated", "client_id", c.ID, "grace", grace)

	stored, err := h.store.Client(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("load rotated client: %w", err)
	}
	writeJSON(w, http.StatusOK, withSecret(stored, secret))
	return nil
}

// rotateSecrets returns a client's secrets after fresh is added at now. With
// no grace every old secret goes. With a grace period the newest live
// secrets, up to MaxSecrets-1 of them, stay valid until now+grace at the
// latest; older and expired ones go.
func rotateSecrets(old []gatehouse.Secret, fresh gatehouse.Secret, now time.Time, grace time.Duration) []gatehouse.Secret {
	out := make([]gatehouse.Secret, 0, gatehouse.MaxSecrets)
	if grace > 0 {
		var live []gatehouse.Secret
		for _, s := range old {
			if s.ExpiresAt.IsZero() || s.ExpiresAt.After(now) {
				live = append(live, s)
			}
		}
		// Newest first; the id breaks ties between secrets of one instant.
		slices.SortFunc(live, func(a, b gatehouse.Secret) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
		until := now.Add(grace)
		for _, s := range live[:min(len(live), gatehouse.MaxSecrets-1)] {
			if s.ExpiresAt.IsZero() || s.ExpiresAt.After(until) {
				s.ExpiresAt = until
			}
			out = append(out, s)
		}
		slices.Reverse(out) // oldest first, as the store keeps them
	}
	return append(out, fresh)
}

// revokeClient serves POST /admin/v1/clients/{client_id}/revoke. Revoking a
// revoked client changes nothing and succeeds.
func (h *Handler) revokeClient(w http.ResponseWriter, r *http.Request) error {
	c, err := h.loadClient(r)
	if err != nil {
		return err
	}
	if c.Active() {
		ctx := r.Context()
		// One transaction marks the client revoked and records it for
		// the revocation feed (docs/tokens.md).
		if c, err = h.store.RevokeClient(ctx, c.ID, h.now().UTC()); err != nil {
			return fmt.Errorf("revoke client %s: %w", r.PathValue("client_id"), err)
		}
		h.refresh(ctx)
		h.logger.InfoContext(ctx, "admin API: client revoked", "client_id", c.ID)
	}
	writeJSON(w, http.StatusOK, clientJSON(c))
	return nil
}

// loadClient loads the client named by the {client_id} path parameter.
func (h *Handler) loadClient(r *http.Request) (*gatehouse.Client, error) {
	id := r.PathValue("client_id")
	c, err := h.store.Client(r.Context(), id)
	if err != nil {
		return nil, lookupError(err, fmt.Sprintf("client %q", id))
	}
	return c, nil
}

func clientJSON(c *gatehouse.Client) wire.Client {
	out := wire.Client{
		ClientID:     c.ID,
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
		ws := wire.Secret{ID: s.ID, CreatedAt: s.CreatedAt.UTC()}
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
func withSecret(c *gatehouse.Client, secret string) wire.ClientWithSecret {
	return wire.ClientWithSecret{
		Client:       clientJSON(c),
		ClientSecret: secret,
		APIKey:       gatehouse.FormatAPIKey(c.Environment, c.ID, secret),
	}
}

// distinct returns list without repeats, never nil.
func distinct(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
