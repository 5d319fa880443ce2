package verify

import "fmt"

// Error codes of RFC 6750 §3.1, and one for a server-side fault.
const (
	ErrInvalidRequest    = "invalid_request"
	ErrInvalidToken      = "invalid_token"
	ErrInsufficientScope = "insufficient_scope"
	// ErrUnavailable: the token could not be checked now (the issuer is
	// unreachable, or the revocation feed is stale under RefuseWhenStale).
	ErrUnavailable = "temporarily_unavailable"
)

// Error is why a token was refused. Description is safe to show to the
// caller; it never contains the token.
type Error struct {
	Code        string
	Description string
}

// Error returns the code and description.
func (e *Error) Error() string { return fmt.Sprintf("verify: %s: %s", e.Code, e.Description) }

// maxTokenLength bounds the tokens looked at.
const maxTokenLength = 8192

// errMissingToken is Verify's answer to an empty token; Middleware answers
// a request without credentials with a bare challenge instead.
var errMissingToken = &Error{Code: ErrInvalidToken, Description: "no token"}

func invalid(desc string) *Error     { return &Error{Code: ErrInvalidToken, Description: desc} }
func unavailable(desc string) *Error { return &Error{Code: ErrUnavailable, Description: desc} }
