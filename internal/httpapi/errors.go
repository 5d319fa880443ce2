package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// oauthErrorBody is the RFC 6749 §5.2 error body.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuthError is the one function that writes OAuth errors, in the
// RFC 6749 §5.2 body (see writeError).
func writeOAuthError(w http.ResponseWriter, e *tokens.Error, basicRealm string) {
	writeError(w, e, basicRealm, oauthBody, jsonType)
}

// errorBody renders an OAuth error as a dialect's error body. Dialects
// change only the body shape; status and headers are the same for all.
type errorBody func(e *tokens.Error) any

func oauthBody(e *tokens.Error) any {
	return oauthErrorBody{Error: e.Code, Description: e.Description}
}

// writeError writes e with its status. basicRealm is set when the client
// used HTTP Basic authentication; an invalid_client answer then carries the
// WWW-Authenticate challenge (RFC 6749 §5.2). A RetryAfter becomes a
// Retry-After header in whole seconds.
func writeError(w http.ResponseWriter, e *tokens.Error, basicRealm string, body errorBody, contentType string) {
	h := w.Header()
	if e.Code == tokens.ErrInvalidClient && basicRealm != "" {
		h.Set("WWW-Authenticate", `Basic realm="`+basicRealm+`"`)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
	}
	writeJSONType(w, e.Status, contentType, body(e))
}

const jsonType = "application/json"

// writeJSON writes v as a JSON response that no cache may keep.
func writeJSON(w http.ResponseWriter, status int, v any) { writeJSONType(w, status, jsonType, v) }

// writeJSONType is writeJSON with a given Content-Type.
func writeJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(b)
}

// methodNotAllowed answers a request with the wrong method.
func methodNotAllowed(w http.ResponseWriter, allow string) {
	methodNotAllowedAs(w, allow, oauthBody, jsonType)
}

// methodNotAllowedAs answers a request with the wrong method in a dialect's
// error shape.
func methodNotAllowedAs(w http.ResponseWriter, allow string, body errorBody, contentType string) {
	w.Header().Set("Allow", allow)
	e := tokens.NewError(tokens.ErrInvalidRequest, "method not allowed; use %s", allow)
	e.Status = http.StatusMethodNotAllowed
	writeError(w, e, "", body, contentType)
}
