package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// healthz answers while the process is up.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	writeBody(w, map[string]string{"status": "ok"})
}

// readyz answers 200 when storage is reachable and can write, and 503 when
// it is unreachable ("storage":"unreachable") or cannot write, its disk
// being full ("storage":"cannot_write").
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.ping(ctx); err != nil {
		s.logger.Warn("readiness check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		if errors.Is(err, gatehouse.ErrStorageFull) {
			writeBody(w, map[string]string{"status": "unavailable", "storage": "cannot_write", "message": gatehouse.ErrStorageFull.Message})
			return
		}
		writeBody(w, map[string]string{"status": "unavailable", "storage": "unreachable"})
		return
	}
	writeBody(w, map[string]string{"status": "ok", "storage": "ok"})
}

// writeBody encodes v as the body of a response whose headers are set.
func writeBody(w http.ResponseWriter, v any) {
	json.NewEncoder(w).Encode(v)
}
