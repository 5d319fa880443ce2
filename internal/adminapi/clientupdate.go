package adminapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// updateClient serves PATCH /admin/v1/clients/{client_id}: it changes the
// name, lists and token overrides present in the body.
func (h *Handler) updateClient(w http.ResponseWriter, r *http.Request) error {
	var req wire.UpdateClientRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	c, err := h.loadClient(r)
	if err != nil {
		return err
	}
	if err := patchClient(c, &req); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	ctx := r.Context()
	env, err := h.store.Environment(ctx, c.Environment)
	if err != nil {
		return lookupError(err, fmt.Sprintf("environment %q", c.Environment))
	}
	// The overrides must make valid settings over the environment's.
	if err := c.Tokens.Apply(env.Tokens).Validate(); err != nil {
		return err
	}
	if c.Tokens.Format != nil {
		if err := h.checkOpaque(*c.Tokens.Format); err != nil {
			return err
		}
	}
	c.UpdatedAt = h.now().UTC()
	if err := h.store.UpdateClient(ctx, c); err != nil {
		if errors.Is(err, gatehouse.ErrConflict) {
			return gatehouse.Errorf(gatehouse.ECONFLICT, "client %s changed meanwhile; retry", c.ID)
		}
		return fmt.Errorf("update client %s: %w", c.ID, err)
	}
	h.refresh(ctx)
	h.logger.InfoContext(ctx, "admin API: client updated", "client_id", c.ID, "environment", c.Environment)
	stored, err := h.store.Client(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("load updated client: %w", err)
	}
	writeJSON(w, http.StatusOK, clientJSON(stored))
	return nil
}

// patchClient applies a PATCH body to c.
func patchClient(c *gatehouse.Client, req *wire.UpdateClientRequest) error {
	if n := req.Name; n.Set {
		if n.Null {
			return gatehouse.Errorf(gatehouse.EINVALID, "name cannot be null")
		}
		c.Name = strings.TrimSpace(n.Value)
	}
	for _, f := range []struct {
		name string
		o    wire.Optional[[]string]
		dst  *[]string
	}{{"scopes", req.Scopes, &c.Scopes}, {"audiences", req.Audiences, &c.Audiences}} {
		if f.o.Set {
			if f.o.Null {
				return gatehouse.Errorf(gatehouse.EINVALID, "%s cannot be null; send [] for none", f.name)
			}
			*f.dst = distinct(f.o.Value)
		}
	}
	if o := req.AllowedCIDRs; o.Set {
		if o.Null {
			return gatehouse.Errorf(gatehouse.EINVALID, "allowed_cidrs cannot be null; send [] to allow any address")
		}
		cidrs := make([]netip.Prefix, 0, len(o.Value))
		for _, s := range o.Value {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				return gatehouse.Errorf(gatehouse.EINVALID, "allowed_cidrs: %q is not a CIDR prefix such as 203.0.113.0/24", s)
			}
			if p = p.Masked(); !slices.Contains(cidrs, p) {
				cidrs = append(cidrs, p)
			}
		}
		c.AllowedCIDRs = cidrs
	}
	if p := req.TokenOverrides; p != nil {
		return patchOverrides(&c.Tokens, p)
	}
	return nil
}

// patchOverrides applies p to a client's token overrides; a null field
// goes back to the environment's value.
func patchOverrides(o *gatehouse.TokenOverrides, p *wire.TokenSettingsPatch) error {
	if f := p.Format; f.Set {
		o.Format = nil
		if !f.Null {
			if err := validFormat(f.Value); err != nil {
				return err
			}
			o.Format = &f.Value
		}
	}
	if l := p.LifetimeSeconds; l.Set {
		o.Lifetime = nil
		if !l.Null {
			d, err := validLifetime(l.Value)
			if err != nil {
				return err
			}
			o.Lifetime = &d
		}
	}
	if r := p.Reuse; r.Set {
		o.Reuse = nil
		if !r.Null {
			o.Reuse = &r.Value
		}
	}
	if a := p.DefaultAudience; a.Set {
		o.DefaultAudience = nil
		if !a.Null {
			if err := validAudience(a.Value, false); err != nil {
				return err
			}
			o.DefaultAudience = &a.Value
		}
	}
	return nil
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

// revokeClientSecret serves
// POST /admin/v1/clients/{client_id}/secrets/{secret_id}/revoke: the secret
// stops working at once and every token issued with it becomes inactive.
func (h *Handler) revokeClientSecret(w http.ResponseWriter, r *http.Request) error {
	clientID := r.PathValue("client_id")
	secretID, err := strconv.ParseInt(r.PathValue("secret_id"), 10, 64)
	if err != nil || secretID <= 0 {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "client %q has no secret %q", clientID, r.PathValue("secret_id"))
	}
	ctx := r.Context()
	c, err := h.store.RevokeSecret(ctx, clientID, secretID, h.now().UTC())
	if err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return gatehouse.Errorf(gatehouse.ENOTFOUND, "client %q has no secret %d", clientID, secretID)
		}
		return fmt.Errorf("revoke secret %d of client %s: %w", secretID, clientID, err)
	}
	h.refresh(ctx)
	h.logger.InfoContext(ctx, "admin API: client secret revoked", "client_id", clientID, "secret_id", secretID)
	writeJSON(w, http.StatusOK, clientJSON(c))
	return nil
}
