package gatehouse

import (
	"errors"
	"fmt"
	"time"
)

// Application error codes. They are machine-readable and stable: the admin API
// returns them in {"error":{"code","message"}}, and every HTTP edge (admin
// API, dashboard) answers each with the status HTTPStatus gives it.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EUNAVAILABLE  = "unavailable"
	// ETOOMANYREQUESTS: the caller is rate limited or its address banned.
	ETOOMANYREQUESTS = "too_many_requests"
)

// httpStatus is the one table from error codes to HTTP statuses. The numbers
// are plain ints so that this package need not import net/http.
var httpStatus = map[string]int{
	EINVALID:         400,
	EUNAUTHORIZED:    401,
	EFORBIDDEN:       403,
	ENOTFOUND:        404,
	ECONFLICT:        409,
	EINTERNAL:        500,
	EUNAVAILABLE:     503,
	ETOOMANYREQUESTS: 429,
}

// HTTPStatus returns the HTTP status that answers an error with code: 400
// invalid, 401 unauthorized, 403 forbidden, 404 not found, 409 conflict, 429
// too many requests, 503 unavailable, and 500 for internal and any code not
// in the list.
func HTTPStatus(code string) int {
	if s, ok := httpStatus[code]; ok {
		return s
	}
	return 500
}

// Error is the application error: a code from the list above and a message
// that is safe to show to the caller.
type Error struct {
	Code    string
	Message string
	// RetryAfter, when positive, is how long the caller should wait before
	// trying again; HTTP edges send it as Retry-After (whole seconds,
	// rounded up).
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("gatehouse error: code=%s message=%s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrNotFound) holds for every not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// Sentinel errors returned by storage. Compare with errors.Is.
var (
	ErrNotFound    = &Error{Code: ENOTFOUND}
	ErrConflict    = &Error{Code: ECONFLICT}
	ErrUnavailable = &Error{Code: EUNAVAILABLE}
	// ErrStorageFull is the unavailable error of a database that has no
	// space left to write; it matches ErrUnavailable too.
	ErrStorageFull = &Error{Code: EUNAVAILABLE, Message: "the database cannot write: no space left on its disk"}
)

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and
// "internal error" for any other error so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		if e.Message == "" {
			return e.Code
		}
		return e.Message
	}
	return "internal error"
}
