package gatehouse

import (
	"context"
	"time"
)

// Session is a dashboard user's signed-in session. The browser holds a
// random token; the store keeps only its SHA-256 (ID), so a copy of the
// database signs nobody in.
type Session struct {
	ID         string // hex SHA-256 of the session token
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time // idle timeout counts from here
	ExpiresAt  time.Time // absolute end, whatever the activity
	// SecondFactorPending is set between a right password and a right
	// TOTP code: such a session reaches nothing but the code form.
	SecondFactorPending bool
}

// SessionStore keeps dashboard sessions.
type SessionStore interface {
	// CreateSession stores s; ErrNotFound if its user does not exist.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session with id and its user; ErrNotFound if
	// there is none.
	Session(ctx context.Context, id string) (*Session, *User, error)
	// TouchSession moves the session's LastSeenAt forward to at.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession ends one session; ending an unknown one is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of a user and returns how many
	// there were.
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)
	// DeleteExpiredSessions removes sessions whose ExpiresAt is before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
}

// SecondFactor is a user's TOTP (RFC 6238) enrolment.
type SecondFactor struct {
	UserID int64
	// Secret is the TOTP secret sealed under the master key.
	Secret []byte
	// Confirmed is set once the user has entered a right code; only then
	// does sign-in ask for one.
	Confirmed bool
	// LastStep is the last time step whose code was accepted, so that each
	// code is used once.
	LastStep  int64
	CreatedAt time.Time
}

// SecondFactorStore keeps users' second factors and recovery codes.
type SecondFactorStore interface {
	// PutSecondFactor replaces the user's second factor (and deletes its
	// recovery codes) with an unconfirmed f.
	PutSecondFactor(ctx context.Context, f *SecondFactor) error
	// SecondFactor returns the user's second factor; ErrNotFound if none.
	SecondFactor(ctx context.Context, userID int64) (*SecondFactor, error)
	// UseTOTPStep records that the code of step was accepted and reports
	// false if a code of this or a later step was accepted before.
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	// ConfirmSecondFactor marks the second factor confirmed after a code
	// of step was accepted, and replaces the recovery codes with
	// codeHashes, in one transaction. ErrConflict if step was used.
	ConfirmSecondFactor(ctx context.Context, userID, step int64, codeHashes []string) error
	// DeleteSecondFactor removes the second factor and recovery codes.
	DeleteSecondFactor(ctx context.Context, userID int64) error
	// UseRecoveryCode marks the unused code with codeHash used and reports
	// whether there was one.
	UseRecoveryCode(ctx context.Context, userID int64, codeHash string, at time.Time) (bool, error)
	// RecoveryCodesLeft counts the user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID int64) (int, error)
}

// SignInFailureStore counts failed sign-ins per subject (an email address
// or a client address) so that every replica sees the same counts.
type SignInFailureStore interface {
	// AddSignInFailure counts a failure of subject at time at and returns
	// the failures in the current window and when it started. A window
	// starts with the first failure after the previous one ended.
	AddSignInFailure(ctx context.Context, subject string, at time.Time, window time.Duration) (int, time.Time, error)
	// SignInFailures returns the failures of subject in the window that is
	// open at time at (0 if none) and when it started.
	SignInFailures(ctx context.Context, subject string, at time.Time, window time.Duration) (int, time.Time, error)
	// ClearSignInFailures forgets the failures of subject.
	ClearSignInFailures(ctx context.Context, subject string) error
	// DeleteOldSignInFailures removes counters whose window started before
	// before.
	DeleteOldSignInFailures(ctx context.Context, before time.Time) error
}
