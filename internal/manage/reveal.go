package manage

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/password"
)

// ErrWrongPassword is the refusal of a reveal whose password is wrong (or
// whose user is disabled), so that a front end can count it toward the
// user's lockout.
var ErrWrongPassword = gatehouse.Errorf(gatehouse.EFORBIDDEN, "the email or password is wrong, or the user is disabled")

// RevealedSecret is a client's current secret, shown again.
type RevealedSecret struct {
	ClientID    string
	Environment string
	SecretID    int64
	Secret      string
	// Production is whether the environment is marked production.
	Production bool
}

// APIKey is the single-string form of the secret.
func (r *RevealedSecret) APIKey() string {
	env := &gatehouse.Environment{Name: r.Environment, Production: r.Production}
	return gatehouse.FormatAPIKeyFor(env, r.ClientID, r.Secret)
}

// RevealSecret shows a client's newest live secret again, after the user
// whose email and password are given signed in again: an operator, or an
// owner, admin or developer of the client's account. A dashboard user
// re-enters their own password; an admin API caller names the user. It
// works only where the environment allows reveal and the secret was sealed
// when it was made. Every attempt is audited, and the secret is returned
// only once its audit record is stored. Wrong passwords lock the email and
// the source address out for a while (see RevealLockout).
func (s *Service) RevealSecret(ctx context.Context, p *gatehouse.Principal, id, email, pw string) (*RevealedSecret, error) {
	email = strings.TrimSpace(email)
	if email == "" || pw == "" {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "email and password are required: reveal needs the user to sign in again")
	}
	c, err := s.visibleClient(ctx, p, ActCredentials, id)
	if err != nil {
		return nil, err
	}
	event := &gatehouse.AuditEvent{
		Time: s.now().UTC(), Actor: "user:" + email, SourceIP: sourceIP(p),
		Action: gatehouse.ActionClientReveal, Object: "client:" + c.ID, Environment: c.Environment, AccountID: c.AccountID,
	}
	if !p.IsUser() {
		event.Detail = "through admin API client " + p.ClientID
	}
	revealed, err := s.guardedReveal(ctx, p, c, email, pw)
	if err != nil {
		event.Detail = strings.TrimPrefix(event.Detail+"; "+gatehouse.ErrorMessage(err), "; ")
		s.auditRefusal(ctx, event, err)
		return nil, err
	}
	event.Outcome = gatehouse.OutcomeSuccess
	event.Detail = strings.TrimSuffix(fmt.Sprintf("secret %d; %s", revealed.SecretID, event.Detail), "; ")
	if err := s.store.AppendAudit(ctx, event); err != nil {
		return nil, fmt.Errorf("audit the reveal of client %s (the secret was not shown): %w", c.ID, err)
	}
	s.logger.InfoContext(ctx, "manage: client secret revealed", "client_id", c.ID, "secret_id", revealed.SecretID, "actor", event.Actor)
	return revealed, nil
}

// guardedReveal is reveal behind the wrong-password lockout: a locked-out
// email or address is refused before its password is checked, a wrong
// password is counted (and the one that reaches the limit is answered with
// the lockout), and a right one clears the email's count.
func (s *Service) guardedReveal(ctx context.Context, p *gatehouse.Principal, c *gatehouse.Client, email, pw string) (*RevealedSecret, error) {
	if err := s.revealLocked(ctx, email, sourceIP(p)); err != nil {
		return nil, err
	}
	revealed, err := s.reveal(ctx, p, c, email, pw)
	if errors.Is(err, ErrWrongPassword) {
		if locked := s.countRevealFailure(ctx, email, sourceIP(p)); locked != nil {
			return nil, locked
		}
		return nil, err
	}
	if err == nil {
		s.clearRevealFailures(ctx, email)
	}
	return revealed, err
}

// reveal re-authenticates the user and opens the client's newest secret.
func (s *Service) reveal(ctx context.Context, p *gatehouse.Principal, c *gatehouse.Client, email, pw string) (*RevealedSecret, error) {
	if p.IsUser() && !strings.EqualFold(email, p.Email) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "re-enter your own password to reveal a secret")
	}
	user, err := s.verifyPassword(ctx, email, pw)
	if err != nil {
		return nil, err
	}
	if err := Authorize(gatehouse.UserPrincipal(user, ""), ActCredentials, c.AccountID, "client"); err != nil {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "user %s may not reveal the secrets of client %s", user.Email, c.ID)
	}
	env, err := s.store.Environment(ctx, c.Environment)
	if err != nil {
		return nil, lookupError(err, fmt.Sprintf("environment %q", c.Environment))
	}
	if !env.AllowReveal {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN,
			"environment %s does not allow revealing secrets (set allow_reveal, then rotate the secret)", env.Name)
	}
	sec := newestLiveSecret(c, s.now())
	switch {
	case sec == nil:
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "client %s has no live secret; rotate to get one", c.ID)
	case sec.Sealed == nil:
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT,
			"secret %d of client %s was created before reveal was enabled and cannot be shown; rotate it to get a revealable secret", sec.ID, c.ID)
	case s.masterKey == nil:
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "this server has no master key to decrypt secrets with")
	}
	plain, err := s.masterKey.Open(sealPurpose, sec.Sealed, []byte(c.ID))
	if errors.Is(err, masterkey.ErrUnknownKey) {
		id, _ := masterkey.KeyIDOf(sec.Sealed)
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT,
			"secret %d was encrypted under master key %s, which this server does not have (replicas must share GATEHOUSE_MASTER_KEY)", sec.ID, id)
	} else if err != nil {
		return nil, fmt.Errorf("open secret %d of client %s: %w", sec.ID, c.ID, err)
	}
	// The sealed copy must be the secret whose hash authenticates.
	h := gatehouse.HashSecret(string(plain))
	if subtle.ConstantTimeCompare(h[:], sec.Hash[:]) != 1 {
		return nil, fmt.Errorf("secret %d of client %s: the sealed copy does not match the stored hash", sec.ID, c.ID)
	}
	return &RevealedSecret{ClientID: c.ID, Environment: c.Environment, SecretID: sec.ID, Secret: string(plain), Production: env.Production}, nil
}

// newestLiveSecret returns the client's newest secret that has not expired.
func newestLiveSecret(c *gatehouse.Client, now time.Time) *gatehouse.Secret {
	var best *gatehouse.Secret
	for i := range c.Secrets {
		sec := &c.Secrets[i]
		if !sec.ExpiresAt.IsZero() && !now.Before(sec.ExpiresAt) {
			continue
		}
		if best == nil || cmp.Or(sec.CreatedAt.Compare(best.CreatedAt), cmp.Compare(sec.ID, best.ID)) > 0 {
			best = sec
		}
	}
	return best
}

// dummyPasswordHash is verified against when the email is unknown, so that
// an unknown user costs as much as a wrong password.
var dummyPasswordHash = sync.OnceValue(func() string {
	h, _ := password.Hash("gatehouse-no-such-user", strings.NewReader(strings.Repeat("0", 64)))
	return h
})

// verifyPassword checks a user's email and password. Every failure (unknown
// email, wrong password, disabled user) is the same forbidden error and
// costs the same time.
func (s *Service) verifyPassword(ctx context.Context, email, pw string) (*gatehouse.User, error) {
	refused := ErrWrongPassword
	u, err := s.store.UserByEmail(ctx, strings.TrimSpace(email))
	if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	hash := dummyPasswordHash()
	if u != nil {
		hash = u.PasswordHash
	}
	ok, verr := password.Verify(pw, hash)
	if u == nil || verr != nil || !ok || u.Disabled {
		return nil, refused
	}
	return u, nil
}
