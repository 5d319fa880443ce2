package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// RevealLockout limits password guessing through reveal. Wrong reveal
// passwords are counted per user email and per source address in the
// store's shared failure counters (so every replica sees the same count);
// an email or address with as many failures as its limit within Window is
// refused (too_many_requests, with the wait) until the window that started
// with its first failure ends, even with the right password. Zero fields
// take the defaults: 5 per email, 20 per address, 15 minutes.
type RevealLockout struct {
	UserFailures    int
	AddressFailures int
	// Window is at most 24 hours: older counters are pruned.
	Window time.Duration
}

// withDefaults fills the zero fields of l.
func (l RevealLockout) withDefaults() RevealLockout {
	if l.UserFailures <= 0 {
		l.UserFailures = 5
	}
	if l.AddressFailures <= 0 {
		l.AddressFailures = 20
	}
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	l.Window = min(l.Window, 24*time.Hour)
	return l
}

// revealSubjects are the failure counter subjects of a reveal by email from
// ip, with each one's limit. They are apart from the dashboard's sign-in
// subjects so that each lockout keeps its own limits.
func (s *Service) revealSubjects(email, ip string) map[string]int {
	subjects := map[string]int{"reveal:email:" + strings.ToLower(strings.TrimSpace(email)): s.revealLockout.UserFailures}
	if ip != "" {
		subjects["reveal:ip:"+ip] = s.revealLockout.AddressFailures
	}
	return subjects
}

// revealLocked returns the too_many_requests error of a reveal by email from
// ip that is locked out, and nil when it may go on. A counter that cannot be
// read refuses the reveal: a secret is not shown unguarded.
func (s *Service) revealLocked(ctx context.Context, email, ip string) error {
	now, window := s.now(), s.revealLockout.Window
	var wait time.Duration
	for subject, limit := range s.revealSubjects(email, ip) {
		n, start, err := s.store.SignInFailures(ctx, subject, now, window)
		if err != nil {
			return fmt.Errorf("read reveal failures: %w", err)
		}
		if n >= limit {
			wait = max(wait, start.Add(window).Sub(now))
		}
	}
	if wait <= 0 {
		return nil
	}
	return lockedOut(wait)
}

// lockedOut is the refusal of a locked-out reveal that must wait.
func lockedOut(wait time.Duration) error {
	return &gatehouse.Error{
		Code:       gatehouse.ETOOMANYREQUESTS,
		Message:    fmt.Sprintf("reveal is locked after too many wrong passwords; try again in %d seconds", int(wait.Seconds()+0.999)),
		RetryAfter: wait,
	}
}

// countRevealFailure counts a wrong reveal password and returns the lockout
// it caused, or nil when there is none yet. A counter that cannot be written
// is logged: the reveal was refused anyway.
func (s *Service) countRevealFailure(ctx context.Context, email, ip string) error {
	now, window := s.now(), s.revealLockout.Window
	var wait time.Duration
	for subject, limit := range s.revealSubjects(email, ip) {
		n, start, err := s.store.AddSignInFailure(ctx, subject, now, window)
		if err != nil {
			s.logger.WarnContext(ctx, "manage: count reveal failure", "err", err)
			continue
		}
		if n >= limit {
			wait = max(wait, start.Add(window).Sub(now))
		}
	}
	if wait <= 0 {
		return nil
	}
	s.logger.WarnContext(ctx, "manage: reveal locked after wrong passwords", "ip", ip)
	return lockedOut(wait)
}

// clearRevealFailures forgets the wrong reveal passwords of email after a
// successful reveal. The address count is kept: it limits guessing at many
// users from one place.
func (s *Service) clearRevealFailures(ctx context.Context, email string) {
	subject := "reveal:email:" + strings.ToLower(strings.TrimSpace(email))
	if err := s.store.ClearSignInFailures(ctx, subject); err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		s.logger.WarnContext(ctx, "manage: clear reveal failures", "err", err)
	}
}
