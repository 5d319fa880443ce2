package app

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// MetricsConfig says where /metrics is served. Metrics name client ids and
// show their traffic, so an installation reachable from outside should
// serve them on a private address or behind the admin key:
//
//	metrics:
//	  listen: 127.0.0.1:9100    # serve /metrics there only, not on addr
//	  require_admin_key: true   # /metrics needs the admin API key or an admin access token
type MetricsConfig struct {
	// Listen is a separate address for /metrics; empty serves it on Addr.
	Listen string `yaml:"listen"`
	// RequireAdminKey makes /metrics answer only to a caller with an admin
	// credential (scope admin:read or admin:write), as the admin API does.
	RequireAdminKey bool `yaml:"require_admin_key"`
}

func (c MetricsConfig) validate(addr string) error {
	if c.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("metrics.listen %q must be host:port: %w", c.Listen, err)
	}
	if c.Listen == addr && !strings.HasSuffix(addr, ":0") {
		return fmt.Errorf("metrics.listen %s must differ from addr", c.Listen)
	}
	return nil
}

// metricsHandler is /metrics as configured: behind the admin credential
// when RequireAdminKey is set.
func (m *Main) metricsHandler(h http.Handler) http.Handler {
	if !m.Config.Metrics.RequireAdminKey {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := m.authenticateAdmin(r)
		if err != nil || !(p.HasScope(gatehouse.ScopeAdminRead) || p.HasScope(gatehouse.ScopeAdminWrite)) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse-metrics"`)
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(wire.Error{Error: wire.ErrorDetail{
				Code: gatehouse.EUNAUTHORIZED, Message: "metrics need the admin API key or an admin access token",
			}})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// metricsServer serves /metrics alone, on Metrics.Listen.
func (m *Main) metricsServer(h http.Handler) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: m.Config.Connections.ReadHeaderTimeout,
		IdleTimeout:       m.Config.Connections.IdleTimeout,
	}
}
