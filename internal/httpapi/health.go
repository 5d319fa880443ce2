package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// healthz answers while the process is up.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	writeBody(w, map[string]string{"status": "ok"})
}

// readyz answers 200 when storage is reachable and 503 when it is not.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.ping(ctx); err != nil {
		s.logger.Warn("readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		writeBody(w, map[string]string{"status": "unavailable", "storage": "unreachable"})
		return
	}
	writeBody(w, map[string]string{"status": "ok", "storage": "ok"})
}

// writeBody encodes v as the body of a response whose headers are set.
func writeBody(w http.ResponseWriter, v any) {
	json.NewEncoder(w).Encode(v)
}
