package adminapi

import (
	"errors"
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/importfile"
)

// maxImportBytes bounds an import file.
const maxImportBytes = 256 << 20

// importClients serves POST /admin/v1/import?apply=true: the body is a CSV
// or JSON Lines file of clients; without apply it is a dry run.
func (h *Handler) importClients(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	apply := false
	switch v := r.URL.Query().Get("apply"); v {
	case "", "false":
	case "true":
		apply = true
	default:
		return gatehouse.Errorf(gatehouse.EINVALID, "apply must be true or false")
	}
	rows, err := importfile.Read(http.MaxBytesReader(w, r.Body, maxImportBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return gatehouse.Errorf(gatehouse.EINVALID, "an import file is at most %d bytes", maxImportBytes)
		}
		return err
	}
	if len(rows) == 0 {
		return gatehouse.Errorf(gatehouse.EINVALID, "the file holds no clients")
	}
	rep, err := h.service.Import(r.Context(), p, rows, apply)
	if err != nil {
		return err
	}
	out := wire.ImportReport{Applied: rep.Applied, Created: rep.Created, Updated: rep.Updated, Skipped: rep.Skipped,
		Refused: rep.Refused, Rows: make([]wire.ImportResult, len(rep.Rows))}
	for i, row := range rep.Rows {
		out.Rows[i] = wire.ImportResult(row)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
