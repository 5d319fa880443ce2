package manage

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
)

// BanList is the token endpoint's list of banned addresses
// (internal/bans.List).
type BanList interface {
	Bans(ctx context.Context) ([]bans.Ban, error)
	Lift(ctx context.Context, subject string) (bool, error)
}

// KeyRotator starts a rotation of an environment's signing key
// (internal/keyrotation.Rotator).
type KeyRotator interface {
	Rotate(ctx context.Context, env, alg string) (*gatehouse.SigningKey, error)
}

// Operations are the operator's actions on what protects and signs: bans
// and signing keys. Only operators and admin API callers with admin:write
// (admin:read to list) may use them, and every change is audited.
type Operations struct {
	svc  *Service
	bans BanList    // nil when the server keeps no ban list
	keys KeyRotator // nil when keys cannot be rotated from here
}

// NewOperations returns the operations of svc on the given ban list and
// key rotator; either may be nil.
func NewOperations(svc *Service, list BanList, keys KeyRotator) *Operations {
	return &Operations{svc: svc, bans: list, keys: keys}
}

// SigningKeyInfo is the public description of a signing key: never its
// private half.
type SigningKeyInfo struct {
	ID        string
	Algorithm string
	State     string
	CreatedAt time.Time
	RemoveAt  time.Time
}

// SigningKeys lists an environment's signing keys, oldest first.
func (o *Operations) SigningKeys(ctx context.Context, p *gatehouse.Principal, env string) ([]SigningKeyInfo, error) {
	if err := Authorize(p, ActOperate, 0, "signing keys"); err != nil && !readsEverything(p) {
		return nil, err
	}
	list, err := o.svc.store.SigningKeys(ctx, env)
	if err != nil {
		return nil, fmt.Errorf("list signing keys of %s: %w", env, err)
	}
	out := make([]SigningKeyInfo, 0, len(list))
	for _, k := range list {
		out = append(out, SigningKeyInfo{ID: k.ID, Algorithm: k.Algorithm, State: k.State, CreatedAt: k.CreatedAt, RemoveAt: k.RemoveAt})
	}
	return out, nil
}

// RotateSigningKey publishes a new signing key of env with the
// environment's algorithm; it signs after the publication delay.
func (o *Operations) RotateSigningKey(ctx context.Context, p *gatehouse.Principal, env string) (*SigningKeyInfo, error) {
	what := fmt.Sprintf("environment %q", env)
	if err := Authorize(p, ActOperate, 0, what); err != nil {
		return nil, err
	}
	if o.keys == nil {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT, "signing keys cannot be rotated on this server")
	}
	k, err := o.keys.Rotate(ctx, env, "")
	if err != nil {
		return nil, err
	}
	o.svc.auditAction(ctx, p, "signing_key.rotate", "signing_key:"+env+"/"+k.ID, env, "published "+k.Algorithm+" key "+k.ID)
	if o.svc.refresh != nil {
		if err := o.svc.refresh(context.WithoutCancel(ctx)); err != nil {
			o.svc.logger.WarnContext(ctx, "manage: refreshing the credential cache failed; it catches up from the change feed", "err", err)
		}
	}
	return &SigningKeyInfo{ID: k.ID, Algorithm: k.Algorithm, State: k.State, CreatedAt: k.CreatedAt, RemoveAt: k.RemoveAt}, nil
}

// Bans lists the active bans of the token endpoint.
func (o *Operations) Bans(ctx context.Context, p *gatehouse.Principal) ([]bans.Ban, error) {
	if err := Authorize(p, ActOperate, 0, "bans"); err != nil && !readsEverything(p) {
		return nil, err
	}
	if o.bans == nil {
		return nil, nil
	}
	list, err := o.bans.Bans(ctx)
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the ban list is unreachable")
	}
	return list, nil
}

// LiftBan lifts the ban of an address (or IPv6 /64) at once.
func (o *Operations) LiftBan(ctx context.Context, p *gatehouse.Principal, subject string) error {
	if err := Authorize(p, ActOperate, 0, "bans"); err != nil {
		return err
	}
	s, err := bans.ParseSubject(subject)
	if err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "%v", err)
	}
	if o.bans == nil {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s is not banned", s)
	}
	found, err := o.bans.Lift(ctx, s)
	if err != nil {
		return gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the ban list is unreachable")
	}
	if !found {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s is not banned", s)
	}
	o.svc.auditAction(ctx, p, gatehouse.ActionIPBanLifted, "ip:"+s, "", "ban lifted")
	return nil
}

// readsEverything reports whether p may read every account (an admin API
// caller with admin:read).
func readsEverything(p *gatehouse.Principal) bool {
	return Authorize(p, ActRead, 0, "") == nil && seesAllAccounts(p)
}

// auditAction records a change made outside the store (a ban list, a key
// rotation that runs its own transactions). Its failure is logged: the
// change has happened and cannot be undone.
func (s *Service) auditAction(ctx context.Context, p *gatehouse.Principal, action, object, env, detail string) {
	e := &gatehouse.AuditEvent{
		Time: s.now().UTC(), Actor: p.Actor(), SourceIP: sourceIP(p), Action: action, Object: object,
		Environment: env, Outcome: gatehouse.OutcomeSuccess, Detail: detail,
	}
	if err := s.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.logger.ErrorContext(ctx, "manage: audit of a change failed", "action", action, "object", object, "err", err)
	}
}
