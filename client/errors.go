package client

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetrieveError is a token request the server refused. ErrorCode is the
// RFC 6749 §5.2 "error" of the answer (invalid_client, invalid_scope,
// slow_down, temporarily_unavailable, …). A Lengow-style error body has no
// such code, so there it is derived from the status: 400 invalid_request,
// 401 invalid_client, 429 slow_down, 503 temporarily_unavailable, other 5xx
// server_error.
type RetrieveError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// ErrorCode and ErrorDescription are the answer's "error" and
	// "error_description" (or the Lengow body's "message").
	ErrorCode        string
	ErrorDescription string
	// RetryAfter is the answer's Retry-After, zero when it had none.
	RetryAfter time.Duration
}

// Error describes the refusal.
func (e *RetrieveError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gatehouse client: token request refused: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.ErrorCode != "" {
		b.WriteString(": " + e.ErrorCode)
	}
	if e.ErrorDescription != "" {
		b.WriteString(": " + e.ErrorDescription)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Temporary reports whether the same request may succeed later (429 and
// 5xx answers), as opposed to a refusal of the credentials or the request.
func (e *RetrieveError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// BackoffError is returned instead of a token request while a token source
// waits after a failure and holds no valid token: no request was sent. Err
// is the failure that started the wait (often a *RetrieveError), so
// errors.As finds its code.
type BackoffError struct {
	// Until is when the next token request may be sent.
	Until time.Time
	// Err is the last failure.
	Err error
}

// Error describes the wait and its cause.
func (e *BackoffError) Error() string {
	return fmt.Sprintf("gatehouse client: no valid token; next token request at %s after: %v", e.Until.Format(time.RFC3339), e.Err)
}

// Unwrap returns the last failure.
func (e *BackoffError) Unwrap() error { return e.Err }

// statusCode is the RFC 6749 error code that stands for a status when the
// body names none.
func statusCode(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return "invalid_request"
	case status == http.StatusUnauthorized:
		return "invalid_client"
	case status == http.StatusTooManyRequests:
		return "slow_down"
	case status == http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	case status >= 500:
		return "server_error"
	}
	return ""
}

// maxRetryAfter bounds a Retry-After so a broken header cannot stop a
// client for days.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): seconds or
// an HTTP date. It returns zero when the header is absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
