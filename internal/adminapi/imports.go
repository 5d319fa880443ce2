package adminapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/importfile"
)

// maxImportBytes bounds an import file.
const maxImportBytes = 256 << 20

// importClients serves POST /admin/v1/import?apply=true: the body is the
// import file (CSV, JSON Lines, a Keycloak realm export or a Hydra client
// list; the format query parameter forces one), or a multipart/form-data
// body with the file in part "file" and a Hydra secrets file in part
// "secrets". env and account choose the environment and account of the
// clients (see importfile.Options). Without apply it is a dry run.
func (h *Handler) importClients(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	q := r.URL.Query()
	apply := false
	switch v := q.Get("apply"); v {
	case "", "false":
	case "true":
		apply = true
	default:
		return gatehouse.Errorf(gatehouse.EINVALID, "apply must be true or false")
	}
	opts := importfile.Options{Format: q.Get("format"), Environment: q.Get("env"), Account: q.Get("account")}
	if opts.Format != "" && !slices.Contains(importfile.Formats, opts.Format) {
		return gatehouse.Errorf(gatehouse.EINVALID, "format must be one of %s", strings.Join(importfile.Formats, ", "))
	}
	body := http.MaxBytesReader(w, r.Body, maxImportBytes)
	var file io.Reader = body
	if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		var err error
		if file, opts.Secrets, err = importParts(multipart.NewReader(body, params["boundary"])); err != nil {
			return importReadError(err)
		}
	}
	rows, err := importfile.ReadFile(file, opts)
	if err != nil {
		return importReadError(err)
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

// importParts reads the parts of a multipart import: "file" and, for a
// Hydra client list, "secrets". Both are read whole (the body is bounded).
func importParts(mr *multipart.Reader) (file, secrets io.Reader, err error) {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, gatehouse.Errorf(gatehouse.EINVALID, "the multipart body cannot be read")
		}
		name := part.FormName()
		if name != "file" && name != "secrets" {
			return nil, nil, gatehouse.Errorf(gatehouse.EINVALID, "unknown part %q (parts: file, secrets)", name)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case name == "file" && file == nil:
			file = bytes.NewReader(b)
		case name == "secrets" && secrets == nil:
			secrets = bytes.NewReader(b)
		default:
			return nil, nil, gatehouse.Errorf(gatehouse.EINVALID, "part %q appears twice", name)
		}
	}
	if file == nil {
		return nil, nil, gatehouse.Errorf(gatehouse.EINVALID, `a multipart import needs the part "file"`)
	}
	return file, secrets, nil
}

func importReadError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return gatehouse.Errorf(gatehouse.EINVALID, "an import file is at most %d bytes", maxImportBytes)
	}
	return err
}
