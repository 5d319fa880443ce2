package adminapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// codeMethodNotAllowed is the error code of a request with a method its
// path does not serve. It exists only at the HTTP edge, so it is not one of
// the domain codes.
const codeMethodNotAllowed = "method_not_allowed"

// writeError is the one function that writes admin API errors, with the
// status gatehouse.HTTPStatus gives the code (405 for codeMethodNotAllowed,
// 422 for codeKeyReused, 409 for codeKeyInProgress).
// Internal errors (and errors with a code the table does not know) are logged
// and shown as "internal error"; an error with a RetryAfter carries
// Retry-After; an unauthorized answer carries the Bearer
// challenge.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, message := gatehouse.ErrorCode(err), gatehouse.ErrorMessage(err)
	status := gatehouse.HTTPStatus(code)
	switch code {
	case codeMethodNotAllowed:
		status = http.StatusMethodNotAllowed
	case codeKeyReused:
		status = http.StatusUnprocessableEntity
	case codeKeyInProgress:
		status = http.StatusConflict
	}
	if status == http.StatusInternalServerError {
		h.logger.ErrorContext(r.Context(), "admin API internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		status, code, message = http.StatusInternalServerError, gatehouse.EINTERNAL, "internal error"
	} else if code == gatehouse.EUNAVAILABLE {
		h.logger.WarnContext(r.Context(), "admin API: storage unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var appErr *gatehouse.Error
	if errors.As(err, &appErr) && appErr.RetryAfter > 0 && status != http.StatusInternalServerError {
		w.Header().Set("Retry-After", strconv.Itoa(int(appErr.RetryAfter.Seconds()+0.999)))
	}
	if code == gatehouse.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
	}
	writeJSON(w, status, wire.Error{Error: wire.ErrorDetail{Code: code, Message: message}})
}

// lookupError turns a storage ErrNotFound into a not-found error whose
// message names what is missing, and wraps any other error with context.
func lookupError(err error, what string) error {
	if errors.Is(err, gatehouse.ErrNotFound) {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
	}
	return fmt.Errorf("load %s: %w", what, err)
}
