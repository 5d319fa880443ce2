package manage

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// NewClient is what a new client is made of. A zero AccountID puts it in the
// principal's own account when the principal is a user of one, and otherwise
// in a new account named after the client (created in the same
// transaction).
type NewClient struct {
	Environment  string
	AccountID    int64
	Name         string
	Scopes       []string
	Audiences    []string
	AllowedCIDRs []string // CIDR prefixes; an address alone is not one
	// JWKS (a JWK Set) or PublicKeyPEM register public keys for
	// private_key_jwt; at most one.
	JWKS         string
	PublicKeyPEM string
}

// ClientWithSecret is a client with a secret that was just made: the only
// time the secret is shown.
type ClientWithSecret struct {
	Client *gatehouse.Client
	Secret string
	// Production is whether the client's environment is marked production
	// (its API keys get the production prefix).
	Production bool
}

// APIKey is the single-string form of the new secret.
func (c *ClientWithSecret) APIKey() string {
	env := &gatehouse.Environment{Name: c.Client.Environment, Production: c.Production}
	return gatehouse.FormatAPIKeyFor(env, c.Client.ID, c.Secret)
}

// CreateClient creates a client with one secret. Creating a client in the
// admin environment (which grants admin API access) is for operators and
// admin:write callers only.
func (s *Service) CreateClient(ctx context.Context, p *gatehouse.Principal, req NewClient) (*ClientWithSecret, error) {
	if req.AccountID == 0 && p.IsUser() && !p.Operator {
		req.AccountID = p.AccountID
	}
	act := ActCredentials
	if req.AccountID == 0 || req.Environment == gatehouse.EnvAdmin {
		act = ActOperate // a new account, or admin API access
	}
	if err := Authorize(p, act, req.AccountID, fmt.Sprintf("account %d", req.AccountID)); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c, err := newClient(req, now)
	if err != nil {
		return nil, err
	}
	env, err := s.store.Environment(ctx, c.Environment)
	if err != nil {
		return nil, lookupError(err, fmt.Sprintf("environment %q", c.Environment))
	}
	if c.AccountID != 0 {
		if _, err := s.store.Account(ctx, c.AccountID); err != nil {
			return nil, lookupError(err, fmt.Sprintf("account %d", c.AccountID))
		}
	}
	// Generate the credential before anything is written.
	if c.ID, err = gatehouse.NewClientID(s.rand); err != nil {
		return nil, fmt.Errorf("generate client id: %w", err)
	}
	secret, fresh, err := s.newSecret(env, c.ID, now)
	if err != nil {
		return nil, err
	}
	c.Secrets = []gatehouse.Secret{fresh}

	var stored *gatehouse.Client
	err = s.change(ctx, func(tx gatehouse.Store) error {
		detail := ""
		if c.AccountID == 0 {
			a := &gatehouse.Account{Name: c.Name, CreatedAt: now}
			if err := tx.CreateAccount(ctx, a); err != nil {
				return fmt.Errorf("create account for client: %w", err)
			}
			c.AccountID = a.ID
			detail = fmt.Sprintf("in new account %d", a.ID)
		}
		if err := tx.CreateClient(ctx, c); err != nil {
			if errors.Is(err, gatehouse.ErrNotFound) {
				return gatehouse.Errorf(gatehouse.ENOTFOUND, "environment %q or account %d not found", c.Environment, c.AccountID)
			}
			return fmt.Errorf("create client: %w", err)
		}
		if err := s.auditClient(ctx, tx, p, "client.create", c, detail); err != nil {
			return err
		}
		var err error
		stored, err = tx.Client(ctx, c.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "manage: client created", "client_id", c.ID, "environment", c.Environment,
		"account_id", c.AccountID, "actor", p.Actor())
	return &ClientWithSecret{Client: stored, Secret: secret, Production: env.Production}, nil
}

// newClient validates a create request and returns the client it asks for,
// without id and secrets.
func newClient(req NewClient, now time.Time) (*gatehouse.Client, error) {
	if req.Environment == "" {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "environment is required")
	}
	if req.AccountID < 0 {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "account_id must be a positive integer")
	}
	cidrs, err := parseCIDRs(req.AllowedCIDRs)
	if err != nil {
		return nil, err
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
	if c.JWKS, c.PublicKeyPEM, err = ClientKeys(req.JWKS, req.PublicKeyPEM); err != nil {
		return nil, err
	}
	// A client without account gets a new one: validate the rest as if it
	// had one.
	check := *c
	if check.AccountID == 0 {
		check.AccountID = 1
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Client returns a client the principal may see.
func (s *Service) Client(ctx context.Context, p *gatehouse.Principal, id string) (*gatehouse.Client, error) {
	return s.visibleClient(ctx, p, ActRead, id)
}

// visibleClient loads a client and checks that p may do act on it. A client
// p may not see (another account's, or for a user, one of the admin
// environment) is not found; one p sees but may not change is forbidden.
func (s *Service) visibleClient(ctx context.Context, p *gatehouse.Principal, act Action, id string) (*gatehouse.Client, error) {
	what := fmt.Sprintf("client %q", id)
	if err := Authorize(p, ActRead, 0, what); err != nil {
		return nil, err
	}
	c, err := s.store.Client(ctx, id)
	if err != nil {
		return nil, lookupError(err, what)
	}
	if p.IsUser() && !p.Operator && c.Environment == gatehouse.EnvAdmin {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
	}
	if err := Authorize(p, ActRead, c.AccountID, what); err != nil {
		return nil, err
	}
	if act != ActRead && c.Environment == gatehouse.EnvAdmin {
		act = ActOperate
	}
	if err := Authorize(p, act, c.AccountID, what); err != nil {
		return nil, err
	}
	return c, nil
}

// Clients returns a page of the clients the principal may see, filtered by
// f; a user of an account sees only that account's.
func (s *Service) Clients(ctx context.Context, p *gatehouse.Principal, f gatehouse.ClientFilter) ([]*gatehouse.Client, error) {
	if err := Authorize(p, ActRead, f.AccountID, fmt.Sprintf("account %d", f.AccountID)); err != nil {
		return nil, err
	}
	if f.Environment != "" && !gatehouse.ValidEnvironmentName(f.Environment) {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "environment %q is not a valid environment name", f.Environment)
	}
	if !seesAllAccounts(p) {
		if f.Environment == gatehouse.EnvAdmin {
			return []*gatehouse.Client{}, nil
		}
		f.AccountID = p.AccountID
	}
	list, err := s.store.Clients(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return list, nil
}

// ClientWithUsage is a client with its token usage, as the dashboard lists
// them. Usage is nil for a client that never obtained a token.
type ClientWithUsage struct {
	Client *gatehouse.Client
	Usage  *gatehouse.ClientUsage
}

// ClientsWithUsage returns a page of the clients the principal may see
// (filtered by f, as Clients), with how many tokens each obtained and when
// it last did, read in one query.
func (s *Service) ClientsWithUsage(ctx context.Context, p *gatehouse.Principal, f gatehouse.ClientFilter) ([]ClientWithUsage, error) {
	list, err := s.Clients(ctx, p, f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	usage, err := s.store.ClientUsages(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load usage of %d clients: %w", len(ids), err)
	}
	out := make([]ClientWithUsage, 0, len(list))
	for _, c := range list {
		out = append(out, ClientWithUsage{Client: c, Usage: usage[c.ID]})
	}
	return out, nil
}

// ClientUsage returns a client's token usage; nil usage when it never
// obtained a token.
func (s *Service) ClientUsage(ctx context.Context, p *gatehouse.Principal, id string) (*gatehouse.Client, *gatehouse.ClientUsage, error) {
	c, err := s.visibleClient(ctx, p, ActRead, id)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.ClientUsage(ctx, c.ID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return c, nil, nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("load usage of client %s: %w", c.ID, err)
	}
	return c, u, nil
}

// Field is one field of a partial update: absent (Set false) it keeps the
// value; Null clears it where that is allowed; otherwise Value replaces it.
type Field[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// ClientPatch changes the fields of a client that are set.
type ClientPatch struct {
	Name         Field[string]
	Scopes       Field[[]string]
	Audiences    Field[[]string]
	AllowedCIDRs Field[[]string]
	// Tokens changes the client's token overrides; a null field goes back
	// to the environment's value.
	Tokens *TokenSettingsPatch
}

// TokenSettingsPatch changes token settings.
type TokenSettingsPatch struct {
	Format          Field[string]
	LifetimeSeconds Field[int64]
	Reuse           Field[bool]
	DefaultAudience Field[string]
}

// UpdateClient changes the name, scopes, audiences, allowlist and token
// overrides that patch sets.
func (s *Service) UpdateClient(ctx context.Context, p *gatehouse.Principal, id string, patch ClientPatch) (*gatehouse.Client, error) {
	return s.writeClient(ctx, p, id, "client.update", func(c *gatehouse.Client, env *gatehouse.Environment) (string, error) {
		if err := patchClient(c, &patch); err != nil {
			return "", err
		}
		if err := c.Validate(); err != nil {
			return "", err
		}
		// The overrides must make valid settings over the environment's.
		if err := c.Tokens.Apply(env.Tokens).Validate(); err != nil {
			return "", err
		}
		if c.Tokens.Format != nil {
			if err := s.checkOpaque(*c.Tokens.Format); err != nil {
				return "", err
			}
		}
		return "", nil
	})
}

// SetClientKeys replaces the public keys the client signs private_key_jwt
// assertions with (both empty removes them). Assertions signed with a
// removed key stop working at once.
func (s *Service) SetClientKeys(ctx context.Context, p *gatehouse.Principal, id, jwks, pemText string) (*gatehouse.Client, error) {
	jwks, pemText, err := ClientKeys(jwks, pemText)
	if err != nil {
		return nil, err
	}
	return s.writeClient(ctx, p, id, "client.keys", func(c *gatehouse.Client, _ *gatehouse.Environment) (string, error) {
		c.JWKS, c.PublicKeyPEM = jwks, pemText
		if c.HasAssertionKeys() {
			return "public keys set", nil
		}
		return "public keys removed", nil
	})
}

// writeClient loads the client id, lets edit change it, and stores it with
// its audit record (action, and the detail edit returns) in one
// transaction. The write is a compare-and-swap on the client's version: if
// the client changed meanwhile (a rotation, a revocation, another update),
// edit runs again on a fresh read, so no write undoes another; after
// maxConflictRetries the caller gets the conflict.
func (s *Service) writeClient(ctx context.Context, p *gatehouse.Principal, id, action string,
	edit func(c *gatehouse.Client, env *gatehouse.Environment) (detail string, err error)) (*gatehouse.Client, error) {
	for attempt := 1; ; attempt++ {
		c, err := s.visibleClient(ctx, p, ActCredentials, id)
		if err != nil {
			return nil, err
		}
		env, err := s.store.Environment(ctx, c.Environment)
		if err != nil {
			return nil, lookupError(err, fmt.Sprintf("environment %q", c.Environment))
		}
		detail, err := edit(c, env)
		if err != nil {
			return nil, err
		}
		c.UpdatedAt = s.now().UTC()
		var stored *gatehouse.Client
		err = s.change(ctx, func(tx gatehouse.Store) error {
			if err := tx.UpdateClient(ctx, c); err != nil {
				return err
			}
			if err := s.auditClient(ctx, tx, p, action, c, detail); err != nil {
				return err
			}
			stored, err = tx.Client(ctx, c.ID)
			return err
		})
		switch {
		case err == nil:
			s.logger.InfoContext(ctx, "manage: client changed", "action", action, "client_id", c.ID, "actor", p.Actor())
			return stored, nil
		case errors.Is(err, gatehouse.ErrConflict) && attempt < maxConflictRetries:
			continue
		case errors.Is(err, gatehouse.ErrConflict):
			return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "client %s changed meanwhile; retry", c.ID)
		}
		return nil, fmt.Errorf("%s %s: %w", action, c.ID, err)
	}
}

// patchClient applies a patch to c.
func patchClient(c *gatehouse.Client, p *ClientPatch) error {
	if n := p.Name; n.Set {
		if n.Null {
			return gatehouse.Errorf(gatehouse.EINVALID, "name cannot be null")
		}
		c.Name = strings.TrimSpace(n.Value)
	}
	for _, f := range []struct {
		name string
		o    Field[[]string]
		dst  *[]string
	}{{"scopes", p.Scopes, &c.Scopes}, {"audiences", p.Audiences, &c.Audiences}} {
		if f.o.Set {
			if f.o.Null {
				return gatehouse.Errorf(gatehouse.EINVALID, "%s cannot be null; send [] for none", f.name)
			}
			*f.dst = distinct(f.o.Value)
		}
	}
	if o := p.AllowedCIDRs; o.Set {
		if o.Null {
			return gatehouse.Errorf(gatehouse.EINVALID, "allowed_cidrs cannot be null; send [] to allow any address")
		}
		cidrs, err := parseCIDRs(o.Value)
		if err != nil {
			return err
		}
		c.AllowedCIDRs = cidrs
	}
	if p.Tokens != nil {
		return patchOverrides(&c.Tokens, p.Tokens)
	}
	return nil
}

// patchOverrides applies p to a client's token overrides; a null field goes
// back to the environment's value.
func patchOverrides(o *gatehouse.TokenOverrides, p *TokenSettingsPatch) error {
	if f := p.Format; f.Set {
		o.Format = nil
		if !f.Null {
			if err := gatehouse.ValidateTokenFormat(f.Value); err != nil {
				return err
			}
			o.Format = &f.Value
		}
	}
	if l := p.LifetimeSeconds; l.Set {
		o.Lifetime = nil
		if !l.Null {
			d, err := gatehouse.TokenLifetime(l.Value)
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
			if err := gatehouse.ValidateDefaultAudience(a.Value, false); err != nil {
				return err
			}
			o.DefaultAudience = &a.Value
		}
	}
	return nil
}

// parseCIDRs parses an allowlist, masked and without repeats.
func parseCIDRs(list []string) ([]netip.Prefix, error) {
	cidrs := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "allowed_cidrs: %q is not a CIDR prefix such as 203.0.113.0/24", s)
		}
		if p = p.Masked(); !slices.Contains(cidrs, p) {
			cidrs = append(cidrs, p)
		}
	}
	return cidrs, nil
}

// ClientKeys validates the public keys a client registers for
// private_key_jwt and returns them as stored: a JWK Set re-encoded with its
// public members only and a kid on every key (the RFC 7638 thumbprint where
// none was given), or the PEM text trimmed. Neither given (or a JSON null)
// is no keys.
func ClientKeys(jwks, pemText string) (storedJWKS, storedPEM string, err error) {
	raw := strings.TrimSpace(jwks)
	if raw == "null" {
		raw = ""
	}
	if raw != "" && raw[0] != '{' {
		return "", "", gatehouse.Errorf(gatehouse.EINVALID, `jwks must be a JWK Set object {"keys":[...]}`)
	}
	pemText = strings.TrimSpace(pemText)
	keys, err := gatehouse.ParseClientKeys(raw, pemText)
	if err != nil || raw == "" {
		return "", pemText, err
	}
	storedJWKS, err = gatehouse.PublicJWKS(keys)
	return storedJWKS, "", err
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
