package adminapi

import (
	_ "embed"
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
)

// openAPIDocument describes every route of the admin API; a test keeps it
// and the route table in step.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI serves GET /admin/v1/openapi.json.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(openAPIDocument)
	return nil
}
