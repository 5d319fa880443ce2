package tokens

import (
	"fmt"
	"time"
)

// OAuth 2.0 error codes (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8707 §2, RFC 8628 §3.5).
const (
	ErrInvalidRequest         = "invalid_request"
	ErrInvalidClient          = "invalid_client"
	ErrInvalidScope           = "invalid_scope"
	ErrInvalidTarget          = "invalid_target"
	ErrUnauthorizedClient     = "unauthorized_client"
	ErrUnsupportedGrantType   = "unsupported_grant_type"
	ErrUnsupportedTokenType   = "unsupported_token_type"
	ErrSlowDown               = "slow_down"
	ErrServerError            = "server_error"
	ErrTemporarilyUnavailable = "temporarily_unavailable"
)

// Error is an OAuth 2.0 error response: its code, a description safe to show
// to the client, and the HTTP status it is sent with.
type Error struct {
	Code        string
	Description string
	Status      int
	// RetryAfter, when positive, is sent as a Retry-After header.
	RetryAfter time.Duration
	// Reason is the server's own code for a refusal that has one
	// (ReasonMustRotate), for its records (the audit log, the outcome
	// label of the token metrics); it is never sent, so a refusal with a
	// reason answers exactly as one without.
	Reason string
}

// Reasons of refusals, recorded but never sent (Error.Reason).
const (
	// ReasonMustRotate refuses a secret or API key of a client in the
	// must-rotate state (gatehouse.Client.MustRotate): imported without a
	// usable credential, it has none until its secret is rotated.
	ReasonMustRotate = "must_rotate"
)

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Description) }

// statusFor is the one table of statuses for OAuth error codes.
var statusFor = map[string]int{
	ErrInvalidRequest:         400,
	ErrInvalidClient:          401,
	ErrInvalidScope:           400,
	ErrInvalidTarget:          400,
	ErrUnauthorizedClient:     400,
	ErrUnsupportedGrantType:   400,
	ErrUnsupportedTokenType:   400,
	ErrSlowDown:               429,
	ErrServerError:            500,
	ErrTemporarilyUnavailable: 503,
}

// NewError returns an error with code's usual status and a description.
func NewError(code, format string, args ...any) *Error {
	status, ok := statusFor[code]
	if !ok {
		status = 400
	}
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: status}
}

// ErrUnknownEnvironment is the error for a path naming no environment: the
// one invalid_request sent with 404.
func ErrUnknownEnvironment(name string) *Error {
	e := NewError(ErrInvalidRequest, "environment %q does not exist", name)
	e.Status = 404
	return e
}

// errClientAuth is the one answer to every client authentication failure, so
// that nothing tells an unknown client from a wrong secret.
func errClientAuth() *Error { return NewError(ErrInvalidClient, "client authentication failed") }

// errMustRotate is errClientAuth for a must-rotate client: the same answer,
// with its own reason for the records.
func errMustRotate() *Error {
	e := errClientAuth()
	e.Reason = ReasonMustRotate
	return e
}
