package manage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
)

// Config configures a Service. Store, Rand and Now are required.
type Config struct {
	Store gatehouse.Store
	// Rand is the source of ids, secrets, salts and invitation tokens:
	// crypto/rand.Reader outside tests.
	Rand io.Reader
	// Now is the clock: time.Now outside tests.
	Now func() time.Time
	// Logger receives a line per change and the failures that do not undo
	// one; nil discards.
	Logger *slog.Logger
	// MasterKey seals the copies of secrets kept for reveal; environments
	// may allow reveal or issue opaque tokens only when it is set.
	MasterKey *masterkey.Keyring
	// Refresh makes this server's credential cache see a committed change at
	// once. Its failure is logged, never returned: the change is committed
	// and the cache catches up from the change feed. Nil skips it.
	Refresh func(ctx context.Context) error
	// PublicURL is the server's external base URL, the start of invitation
	// links ("{PublicURL}/ui/invitations/{token}").
	PublicURL string
	// Mailer sends invitation emails; nil sends none (the inviter passes the
	// link on).
	Mailer Mailer
	// RevealLockout limits wrong reveal passwords; zero fields take the
	// defaults.
	RevealLockout RevealLockout
}

// Service carries out administration for an authenticated principal. It is
// safe for concurrent use.
type Service struct {
	store     gatehouse.Store
	rand      io.Reader
	now       func() time.Time
	logger    *slog.Logger
	masterKey *masterkey.Keyring
	refresh   func(ctx context.Context) error
	publicURL string
	mailer    Mailer

	revealLockout RevealLockout
}

// New returns a Service. It panics if a required Config field is missing,
// which is a wiring mistake.
func New(cfg Config) *Service {
	switch {
	case cfg.Store == nil:
		panic("manage: Config.Store is nil")
	case cfg.Rand == nil:
		panic("manage: Config.Rand is nil")
	case cfg.Now == nil:
		panic("manage: Config.Now is nil")
	}
	s := &Service{
		store: cfg.Store, rand: cfg.Rand, now: cfg.Now, logger: cfg.Logger, masterKey: cfg.MasterKey,
		refresh: cfg.Refresh, publicURL: cfg.PublicURL, mailer: cfg.Mailer,
		revealLockout: cfg.RevealLockout.withDefaults(),
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// maxConflictRetries is how often a compare-and-swap write of a client is
// tried again on a fresh read before the caller gets the conflict.
const maxConflictRetries = 3

// change runs fn in one store transaction and, once it committed, tells the
// credential cache. Nothing after the commit can fail the change.
func (s *Service) change(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	if err := s.store.InTx(ctx, fn); err != nil {
		return err
	}
	if s.refresh != nil {
		if err := s.refresh(context.WithoutCancel(ctx)); err != nil {
			s.logger.WarnContext(ctx, "manage: refreshing the credential cache failed; it catches up from the change feed", "err", err)
		}
	}
	return nil
}

// audit appends the record of a successful action by p, in tx.
func (s *Service) audit(ctx context.Context, tx gatehouse.Store, p *gatehouse.Principal, action, object, env, detail string) error {
	e := &gatehouse.AuditEvent{
		Time: s.now().UTC(), Actor: p.Actor(), SourceIP: sourceIP(p), Action: action, Object: object,
		Environment: env, Outcome: gatehouse.OutcomeSuccess, Detail: detail,
	}
	if err := tx.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s of %s: %w", action, object, err)
	}
	return nil
}

// auditRefusal records an attempt that was refused or failed, outside any
// transaction (nothing changed). Its own failure is logged.
func (s *Service) auditRefusal(ctx context.Context, e *gatehouse.AuditEvent, err error) {
	e.Outcome = gatehouse.OutcomeDenied
	if code := gatehouse.ErrorCode(err); code == gatehouse.EINTERNAL || code == gatehouse.EUNAVAILABLE {
		e.Outcome = gatehouse.OutcomeFailure
	}
	if aerr := s.store.AppendAudit(context.WithoutCancel(ctx), e); aerr != nil {
		s.logger.ErrorContext(ctx, "manage: audit of a refused action failed", "action", e.Action, "object", e.Object, "err", aerr)
	}
}

func sourceIP(p *gatehouse.Principal) string {
	if p == nil {
		return ""
	}
	return p.SourceIP
}

// lookupError turns a storage ErrNotFound into a not-found error that names
// what is missing, and wraps any other error with context.
func lookupError(err error, what string) error {
	if errors.Is(err, gatehouse.ErrNotFound) {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
	}
	return fmt.Errorf("load %s: %w", what, err)
}

// checkOpaque refuses opaque tokens when the server has no master key to
// seal them with.
func (s *Service) checkOpaque(format string) error {
	if format == gatehouse.TokenFormatOpaque && s.masterKey == nil {
		return gatehouse.Errorf(gatehouse.ECONFLICT, "opaque tokens need a master key, and this server has none")
	}
	return nil
}
