package adminapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 1 << 20

// Page sizes of list endpoints. A list handler asks the store for one item
// more than the page holds, to learn whether another page follows, so the
// largest page stays well under what a store returns at once (sqlstore: 1000).
const (
	defaultPageLimit = 100
	maxPageLimit     = 500
)

// writeJSON writes v as the JSON answer. Answers may hold a secret shown
// once, so no cache may keep them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decodeJSON reads the request body, a single JSON object with no unknown
// fields and at most maxBodyBytes, into v. An empty body is an error unless
// optional is set, in which case v is left as it is.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return gatehouse.Errorf(gatehouse.EINVALID, "the request body must be application/json")
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			if optional {
				return nil
			}
			return gatehouse.Errorf(gatehouse.EINVALID, "the request body must be a JSON object")
		}
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err)
		}
		return gatehouse.Errorf(gatehouse.EINVALID, "the request body must hold a single JSON object")
	}
	return nil
}

// decodeError describes why a body could not be decoded.
func decodeError(err error) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLarge):
		return gatehouse.Errorf(gatehouse.EINVALID, "the request body is larger than 1 MiB")
	case errors.As(err, &syntaxErr):
		return gatehouse.Errorf(gatehouse.EINVALID, "malformed JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return gatehouse.Errorf(gatehouse.EINVALID, "field %q must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &typeErr):
		return gatehouse.Errorf(gatehouse.EINVALID, "the request body must be a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return gatehouse.Errorf(gatehouse.EINVALID, "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return gatehouse.Errorf(gatehouse.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return gatehouse.Errorf(gatehouse.EINVALID, "malformed JSON body")
}

// jsonKind names a Go kind as the JSON type a caller should send.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "slice", kind == "array":
		return "array"
	case kind == "struct", kind == "map":
		return "object"
	case kind == "bool":
		return "boolean"
	}
	return kind
}

// pageLimit reads the "limit" query parameter.
func pageLimit(q url.Values) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return defaultPageLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPageLimit {
		return 0, gatehouse.Errorf(gatehouse.EINVALID, "limit must be an integer between 1 and %d", maxPageLimit)
	}
	return n, nil
}

// positiveID parses a numeric id from a path or query parameter.
func positiveID(s, what string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, gatehouse.Errorf(gatehouse.EINVALID, "%s must be a positive integer", what)
	}
	return n, nil
}
