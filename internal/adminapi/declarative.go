package adminapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// maxDocumentBytes bounds the body of POST /admin/v1/apply.
const maxDocumentBytes = 64 << 20

// exportDocument serves GET /admin/v1/export?env=E&account=A&include_hashes=true:
// the server as a Gatehouse file (JSON).
func (h *Handler) exportDocument(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	q := r.URL.Query()
	o := manage.ExportOptions{Environment: q.Get("env")}
	if v := q.Get("account"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return gatehouse.Errorf(gatehouse.EINVALID, "account must be a positive integer")
		}
		o.AccountID = id
	}
	var err error
	if o.IncludeHashes, err = boolParam(r, "include_hashes"); err != nil {
		return err
	}
	doc, err := h.service.Export(r.Context(), p, o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// applyDocument serves POST /admin/v1/apply?dry_run=…&prune=…: the body is
// a Gatehouse file (JSON) the server is made to match.
func (h *Handler) applyDocument(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	dryRun, err := boolParam(r, "dry_run")
	if err != nil {
		return err
	}
	prune, err := boolParam(r, "prune")
	if err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return gatehouse.Errorf(gatehouse.EINVALID, "the request body must be application/json")
		}
	}
	var doc wire.Document
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxDocumentBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return gatehouse.Errorf(gatehouse.EINVALID, "a Gatehouse file is at most %d bytes", maxDocumentBytes)
		case errors.Is(err, io.EOF):
			return gatehouse.Errorf(gatehouse.EINVALID, "the request body must be a Gatehouse file as a JSON object")
		}
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return gatehouse.Errorf(gatehouse.EINVALID, "the request body must hold a single JSON object")
	}
	res, err := h.service.Apply(r.Context(), p, &doc, manage.ApplyOptions{DryRun: dryRun, Prune: prune})
	if err != nil {
		return err
	}
	out := wire.ApplyResult{Applied: res.Applied, DryRun: res.DryRun, Changes: make([]wire.PlanChange, len(res.Changes))}
	for i, c := range res.Changes {
		out.Changes[i] = wire.PlanChange{Action: c.Action, Kind: c.Kind, Key: c.Key}
		for _, f := range c.Fields {
			out.Changes[i].Fields = append(out.Changes[i].Fields, wire.FieldChange(f))
		}
	}
	for _, c := range res.Credentials {
		out.Credentials = append(out.Credentials, wire.NewCredential{ClientID: c.ClientID, Environment: c.Environment, ClientSecret: c.Secret, APIKey: c.APIKey})
	}
	for _, inv := range res.Invitations {
		out.Invitations = append(out.Invitations, wire.NewInvitation(inv))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	switch r.URL.Query().Get(name) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, gatehouse.Errorf(gatehouse.EINVALID, "%s must be true or false", name)
}
