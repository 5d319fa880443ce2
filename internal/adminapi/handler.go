package adminapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/keyrotation"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
)

// Prefix is the path under which the admin API is mounted.
const Prefix = "/admin/v1/"

// Config configures the admin API. Store, Authenticate, Rand and Now are
// required.
type Config struct {
	Store gatehouse.Store
	// Service carries out every change and read of clients, accounts,
	// environments and users; nil makes one from the fields below, which
	// is what tests do. A server shares one with its dashboard.
	Service *manage.Service
	// Authenticate returns who made the request, or an error with code
	// gatehouse.EUNAUTHORIZED when the credential is missing or bad.
	Authenticate func(r *http.Request) (*gatehouse.Principal, error)
	// Refresh makes the server's in-memory credential cache see a change at
	// once; it is called after every committed change. Nil skips it.
	Refresh func(ctx context.Context) error
	// PublicURL is the server's external base URL, which starts invitation
	// links; used only when Service is nil.
	PublicURL string
	// IssuerURL returns the issuer of an environment. Nil shows "".
	IssuerURL func(env string) string
	// Rand is the source of client ids and secrets: crypto/rand.Reader
	// outside tests.
	Rand io.Reader
	// Now is the clock: time.Now outside tests.
	Now func() time.Time
	// Logger receives internal errors and a line per mutation; nil discards.
	Logger *slog.Logger
	// MasterKey encrypts the copies of secrets kept for reveal, and must be
	// set for environments to allow reveal or opaque tokens.
	MasterKey *masterkey.Keyring
	// KeyRotator rotates signing keys; nil makes one with the defaults.
	KeyRotator *keyrotation.Rotator
	// Audit records the mutations the service does not record itself:
	// refused and failed ones, signing-key rotations and lifted bans
	// (audit.go); nil records none. The service writes the record of each
	// of its changes in the change's own transaction.
	Audit gatehouse.AuditAppender
	// Bans is the token endpoint's ban list; nil shows none.
	Bans bans.List
}

// Handler serves the admin API. Mount it at Prefix; it sees full paths.
type Handler struct {
	store        gatehouse.Store
	service      *manage.Service
	authenticate func(r *http.Request) (*gatehouse.Principal, error)
	refreshCache func(ctx context.Context) error
	issuerURL    func(env string) string
	rand         io.Reader
	now          func() time.Time
	logger       *slog.Logger
	masterKey    *masterkey.Keyring
	keyRotator   *keyrotation.Rotator
	mux          *http.ServeMux
	audit        gatehouse.AuditAppender
	bans         bans.List
	// idem keeps the answers of POSTs sent with an Idempotency-Key; nil
	// (no master key, or a store that does not keep them) ignores the
	// header.
	idem gatehouse.IdempotencyStore
}

// access is what a route asks of the caller.
type access int

const (
	public     access = iota // no credential
	readScope                // admin:read or admin:write
	writeScope               // admin:write
)

// route is one endpoint. path uses http.ServeMux wildcard syntax, which is
// also OpenAPI's path template syntax, so the route table is checked against
// openapi.json as is.
type route struct {
	method string
	path   string
	access access
	// handle serves the request for p, the caller authenticated once by
	// the endpoint wrapper (nil on public routes).
	handle func(h *Handler, w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error
}

// routes is the one list of endpoints: New registers it and the tests check
// it against openapi.json.
func routes() []route {
	return []route{
		{http.MethodGet, "/admin/v1/openapi.json", public, (*Handler).openAPI},
		{http.MethodGet, "/admin/v1/environments", readScope, (*Handler).listEnvironments},
		{http.MethodGet, "/admin/v1/environments/{env}", readScope, (*Handler).getEnvironment},
		{http.MethodGet, "/admin/v1/environments/{env}/keys", readScope, (*Handler).listSigningKeys},
		{http.MethodPost, "/admin/v1/environments/{env}/keys/rotate", writeScope, (*Handler).rotateSigningKey},
		{http.MethodPost, "/admin/v1/environments/{env}/keys/{kid}/revoke", writeScope, (*Handler).revokeSigningKey},
		{http.MethodDelete, "/admin/v1/environments/{env}/keys/{kid}", writeScope, (*Handler).cancelSigningKey},
		{http.MethodPost, "/admin/v1/environments", writeScope, (*Handler).createEnvironment},
		{http.MethodPatch, "/admin/v1/environments/{env}", writeScope, (*Handler).updateEnvironment},
		{http.MethodPost, "/admin/v1/accounts", writeScope, (*Handler).createAccount},
		{http.MethodGet, "/admin/v1/accounts", readScope, (*Handler).listAccounts},
		{http.MethodGet, "/admin/v1/accounts/{id}", readScope, (*Handler).getAccount},
		{http.MethodGet, "/admin/v1/accounts/{id}/users", readScope, (*Handler).listUsers},
		{http.MethodPost, "/admin/v1/accounts/{id}/users", writeScope, (*Handler).inviteUser},
		{http.MethodGet, "/admin/v1/accounts/{id}/users/{user_id}", readScope, (*Handler).getUser},
		{http.MethodPatch, "/admin/v1/accounts/{id}/users/{user_id}", writeScope, (*Handler).updateUser},
		{http.MethodDelete, "/admin/v1/accounts/{id}/users/{user_id}", writeScope, (*Handler).deleteUser},
		{http.MethodGet, "/admin/v1/accounts/{id}/invitations", readScope, (*Handler).listInvitations},
		{http.MethodDelete, "/admin/v1/accounts/{id}/invitations/{invitation_id}", writeScope, (*Handler).cancelInvitation},
		{http.MethodPost, "/admin/v1/invitations/accept", public, (*Handler).acceptInvitation},
		{http.MethodPost, "/admin/v1/clients", writeScope, (*Handler).createClient},
		{http.MethodGet, "/admin/v1/clients", readScope, (*Handler).listClients},
		{http.MethodGet, "/admin/v1/clients/{client_id}", readScope, (*Handler).getClient},
		{http.MethodPost, "/admin/v1/clients/{client_id}/rotate", writeScope, (*Handler).rotateClientSecret},
		{http.MethodPost, "/admin/v1/clients/{client_id}/revoke", writeScope, (*Handler).revokeClient},
		{http.MethodPut, "/admin/v1/clients/{client_id}/keys", writeScope, (*Handler).setClientKeys},
		{http.MethodPost, "/admin/v1/clients/{client_id}/keys", writeScope, (*Handler).setClientKeys},
		{http.MethodPatch, "/admin/v1/clients/{client_id}", writeScope, (*Handler).updateClient},
		{http.MethodPost, "/admin/v1/clients/{client_id}/secrets/{secret_id}/revoke", writeScope, (*Handler).revokeClientSecret},
		{http.MethodPost, "/admin/v1/clients/{client_id}/reveal", writeScope, (*Handler).revealClientSecret},
		{http.MethodGet, "/admin/v1/clients/{client_id}/usage", readScope, (*Handler).clientUsage},
		{http.MethodPost, "/admin/v1/import", writeScope, (*Handler).importClients},
		{http.MethodGet, "/admin/v1/export", readScope, (*Handler).exportDocument},
		{http.MethodPost, "/admin/v1/apply", writeScope, (*Handler).applyDocument},
		{http.MethodGet, "/admin/v1/bans", readScope, (*Handler).listBans},
		{http.MethodDelete, "/admin/v1/bans/{subject}", writeScope, (*Handler).liftBan},
		{http.MethodGet, "/admin/v1/audit", readScope, (*Handler).listAudit},
		{http.MethodGet, "/admin/v1/audit/export", readScope, (*Handler).exportAudit},
	}
}

// New returns the admin API handler. It panics if a required Config field
// is missing, which is a wiring mistake.
func New(cfg Config) *Handler {
	switch {
	case cfg.Store == nil:
		panic("adminapi: Config.Store is nil")
	case cfg.Authenticate == nil:
		panic("adminapi: Config.Authenticate is nil")
	case cfg.Rand == nil:
		panic("adminapi: Config.Rand is nil")
	case cfg.Now == nil:
		panic("adminapi: Config.Now is nil")
	}
	h := &Handler{
		store:        cfg.Store,
		authenticate: cfg.Authenticate,
		refreshCache: cfg.Refresh,
		issuerURL:    cfg.IssuerURL,
		rand:         cfg.Rand,
		now:          cfg.Now,
		logger:       cfg.Logger,
		masterKey:    cfg.MasterKey,
		keyRotator:   cfg.KeyRotator,
		mux:          http.NewServeMux(),
		audit:        cfg.Audit,
		bans:         cfg.Bans,
	}
	if cfg.MasterKey != nil {
		// Stored answers are sealed under the master key; without one
		// (a server always has one) the header is ignored.
		h.idem, _ = cfg.Store.(gatehouse.IdempotencyStore)
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.service = cfg.Service; h.service == nil {
		h.service = manage.New(manage.Config{
			Store: cfg.Store, Rand: cfg.Rand, Now: cfg.Now, Logger: h.logger, MasterKey: cfg.MasterKey, Refresh: cfg.Refresh,
			PublicURL: cfg.PublicURL,
		})
	}
	if h.keyRotator == nil {
		h.keyRotator = keyrotation.New(keyrotation.Config{Store: cfg.Store, Now: cfg.Now, Rand: cfg.Rand, Logger: h.logger})
	}

	// Requests no method+path pattern takes fall through to unmatched, a mux
	// of bare paths that tells a wrong method (405) from an unknown path
	// (404), both in JSON.
	unmatched := http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range routes() {
		h.mux.Handle(rt.method+" "+rt.path, h.endpoint(rt))
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for path, methods := range allowed {
		unmatched.Handle(path, h.methodNotAllowed(methods))
	}
	unmatched.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w, r, gatehouse.Errorf(gatehouse.ENOTFOUND, "no such endpoint: %s", r.URL.Path))
	})
	h.mux.Handle("/", unmatched)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// endpoint wraps a route: it authenticates the caller once, checks the
// route's scope, runs the handler with the principal (and its address),
// writes the error the handler returns, and records in the audit log what
// the service did not (audit.go). A POST with an Idempotency-Key is run or
// replayed through idempotent (idempotency.go).
func (h *Handler) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p *gatehouse.Principal
		if rt.access != public {
			var err error
			if p, err = h.authorize(r, rt.access); err != nil {
				h.refused(r, rt, p, err)
				h.writeError(w, r, err)
				return
			}
		}
		var err error
		if key, ok := r.Header["Idempotency-Key"]; ok && idempotentRoute(rt) && p != nil && h.idem != nil {
			err = h.idempotent(w, r, p, strings.Join(key, ","), func(w http.ResponseWriter) error { return rt.handle(h, w, r, p) })
			var done errAnswered
			if errors.As(err, &done) {
				if !done.replayed {
					h.auditMutation(r, rt, p, done.err)
				}
				return
			}
		} else {
			err = rt.handle(h, w, r, p)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
		h.auditMutation(r, rt, p, err)
	})
}

// authorize authenticates the caller and checks that it may use a route of
// the given access; the service checks again what it does for whom. The
// principal carries the caller's address; it is returned with the
// forbidden error of a caller lacking the route's scope, for the audit.
func (h *Handler) authorize(r *http.Request, a access) (*gatehouse.Principal, error) {
	p, err := h.authenticate(r)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "a bearer token or admin API key is required")
	}
	p.SourceIP = remoteIP(r)
	switch {
	case p.HasScope(gatehouse.ScopeAdminWrite):
		return p, nil
	case a == readScope && p.HasScope(gatehouse.ScopeAdminRead):
		return p, nil
	case a == readScope:
		return p, gatehouse.Errorf(gatehouse.EFORBIDDEN, "this operation needs scope %s or %s", gatehouse.ScopeAdminRead, gatehouse.ScopeAdminWrite)
	}
	return p, gatehouse.Errorf(gatehouse.EFORBIDDEN, "this operation needs scope %s", gatehouse.ScopeAdminWrite)
}

// methodNotAllowed answers a known path asked with a method it does not
// serve.
func (h *Handler) methodNotAllowed(methods []string) http.Handler {
	allow := slices.Clone(methods)
	if slices.Contains(allow, http.MethodGet) {
		allow = append(allow, http.MethodHead)
	}
	slices.Sort(allow)
	value := strings.Join(allow, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", value)
		h.writeError(w, r, gatehouse.Errorf(codeMethodNotAllowed, "method %s is not allowed here; use %s", r.Method, value))
	})
}

// refresh tells the credential cache about a change the handler stored
// itself (signing keys). The change is committed whatever happens here, so a
// failure is logged, not returned.
func (h *Handler) refresh(ctx context.Context) {
	if h.refreshCache == nil {
		return
	}
	if err := h.refreshCache(context.WithoutCancel(ctx)); err != nil {
		h.logger.WarnContext(ctx, "admin API: refreshing the credential cache failed; it catches up on its next sync", "err", err)
	}
}
