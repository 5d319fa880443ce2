package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// Config configures the public HTTP surface.
type Config struct {
	Issuer *tokens.Issuer
	// Admin serves /admin/v1/; nil leaves it out.
	Admin http.Handler
	// Dialects are the legacy token endpoints (DefaultDialects for the
	// documented ones).
	Dialects Dialects
	// Ping reports whether storage is reachable and can write, for
	// /readyz; gatehouse.ErrStorageFull says it cannot write.
	Ping   func(ctx context.Context) error
	Logger *slog.Logger
	// Proxies are the trusted proxies whose forwarding headers name the
	// client's address (clientip.go).
	Proxies Proxies
	// Metrics serves /metrics; nil leaves it out.
	Metrics http.Handler
	// RevocationFeed serves {issuer}/revocation-feed; a nil Hub leaves it
	// out.
	RevocationFeed RevocationFeed
	// Dashboard serves /ui/; nil leaves it out.
	Dashboard http.Handler
}

// prefixes are the roots every per-environment path is served under: the
// current Keycloak layout and the older one with /auth.
var prefixes = []string{"", "/auth"}

// New returns the handler of every public route.
func New(cfg Config) http.Handler {
	s := &server{issuer: cfg.Issuer, ping: cfg.Ping, logger: cfg.Logger, dialects: cfg.Dialects, feed: cfg.RevocationFeed}
	mux := http.NewServeMux()
	for _, p := range prefixes {
		mux.HandleFunc(p+"/realms/{env}/protocol/openid-connect/token", s.token)
		mux.HandleFunc(p+"/realms/{env}/protocol/openid-connect/token/introspect", s.introspect)
		mux.HandleFunc(p+"/realms/{env}/protocol/openid-connect/revoke", s.revoke)
		mux.HandleFunc(p+"/realms/{env}/protocol/openid-connect/certs", s.jwks)
		mux.HandleFunc(p+"/realms/{env}/.well-known/openid-configuration", s.discovery)
		mux.HandleFunc("/.well-known/oauth-authorization-server"+p+"/realms/{env}", s.discovery)
		if cfg.RevocationFeed.Hub != nil {
			mux.HandleFunc(p+"/realms/{env}"+revocationFeedPath, s.revocationFeed)
		}
	}
	if d := cfg.Dialects.Lengow; d.Enabled {
		mux.HandleFunc(d.Path, s.lengow)
	}
	if d := cfg.Dialects.Lemonway; d.Enabled {
		mux.HandleFunc(d.Path, s.lemonway)
	}
	mux.HandleFunc("/healthz", s.healthz)
	mux.HandleFunc("/readyz", s.readyz)
	if cfg.Admin != nil {
		mux.Handle("/admin/", cfg.Admin)
	}
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics)
	}
	if cfg.Dashboard != nil {
		mux.Handle("/ui/", cfg.Dashboard)
	}
	return withClientIP(cfg.Proxies, mux)
}

type server struct {
	issuer   *tokens.Issuer
	dialects Dialects
	ping     func(ctx context.Context) error
	logger   *slog.Logger
	feed     RevocationFeed
}

// remoteIP is the address of the client: the peer, or the client a trusted
// proxy names (withClientIP in clientip.go rewrites RemoteAddr for those).
func remoteIP(r *http.Request) netip.Addr { return peerIP(r.RemoteAddr) }

// RemoteIP is the address of the client of a request served through the
// handler New returns (the peer, or the client a trusted proxy names), for
// handlers mounted in it, such as the admin API.
func RemoteIP(r *http.Request) netip.Addr { return remoteIP(r) }
