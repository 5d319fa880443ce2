package manage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// MaxGrace is the longest a rotated-out secret may stay valid.
const MaxGrace = 30 * 24 * time.Hour

// GraceChoices are the grace periods the dashboard offers when rotating a
// secret: none (the old secret dies at once, as Renew does), one hour, one
// day, one week. The admin API accepts any grace up to MaxGrace.
var GraceChoices = []time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// sealPurpose is the master-key purpose of sealed client secrets.
const sealPurpose = "client-secret/v1"

// newSecret makes a secret for client clientID of env, with its sealed copy
// where env allows reveal.
func (s *Service) newSecret(env *gatehouse.Environment, clientID string, now time.Time) (string, gatehouse.Secret, error) {
	secret, err := gatehouse.NewSecret(s.rand)
	if err != nil {
		return "", gatehouse.Secret{}, fmt.Errorf("generate client secret: %w", err)
	}
	fresh := gatehouse.Secret{Hash: gatehouse.HashSecret(secret), CreatedAt: now}
	if env.AllowReveal {
		if s.masterKey == nil {
			return "", gatehouse.Secret{}, gatehouse.Errorf(gatehouse.ECONFLICT,
				"environment %s allows reveal, but this server has no master key to encrypt secrets with", env.Name)
		}
		if fresh.Sealed, err = s.masterKey.Seal(s.rand, sealPurpose, []byte(secret), []byte(clientID)); err != nil {
			return "", gatehouse.Secret{}, fmt.Errorf("seal client secret: %w", err)
		}
	}
	return secret, fresh, nil
}

// RotateSecret gives a client a new secret. For grace the newest current
// secret stays valid next to it (a client has at most two live secrets);
// with no grace every old secret dies at once. A revoked client cannot be
// rotated. Rotating a must-rotate client (imported without a usable
// credential) gives it its first accepted secret and clears the flag, in
// the same write.
func (s *Service) RotateSecret(ctx context.Context, p *gatehouse.Principal, id string, grace time.Duration) (*ClientWithSecret, error) {
	return s.rotate(ctx, p, id, grace, "client.rotate")
}

// RenewSecret is the dashboard's "Renew": a new secret, and the old one
// dead at once (a rotation without grace).
func (s *Service) RenewSecret(ctx context.Context, p *gatehouse.Principal, id string) (*ClientWithSecret, error) {
	return s.rotate(ctx, p, id, 0, "client.renew")
}

func (s *Service) rotate(ctx context.Context, p *gatehouse.Principal, id string, grace time.Duration, action string) (*ClientWithSecret, error) {
	if grace < 0 || grace > MaxGrace {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "the grace period must be between none and %d days", int64(MaxGrace/(24*time.Hour)))
	}
	var secret string
	var production bool
	c, err := s.writeClient(ctx, p, id, action, func(c *gatehouse.Client, env *gatehouse.Environment) (string, error) {
		production = env.Production
		if !c.Active() {
			return "", gatehouse.Errorf(gatehouse.ECONFLICT, "client %s is revoked; its secret cannot be rotated", c.ID)
		}
		now := s.now().UTC()
		var fresh gatehouse.Secret
		var err error
		if secret, fresh, err = s.newSecret(env, c.ID, now); err != nil {
			return "", err
		}
		if c.MustRotate {
			// No secret of a must-rotate client was ever accepted, so
			// none lives on through a grace period: the new secret is
			// its only one, and it is accepted from now on.
			c.Secrets, c.MustRotate = []gatehouse.Secret{fresh}, false
			return "must-rotate cleared; no grace (no earlier secret was accepted)", nil
		}
		c.Secrets = rotateSecrets(c.Secrets, fresh, now, grace)
		return fmt.Sprintf("grace %s", grace), nil
	})
	if err != nil {
		return nil, err
	}
	return &ClientWithSecret{Client: c, Secret: secret, Production: production}, nil
}

// rotateSecrets returns a client's secrets after fresh is added at now. With
// no grace every old secret goes. With a grace period the newest live
// secrets, up to MaxSecrets-1 of them, stay valid until now+grace at the
// latest; older and expired ones go.
func rotateSecrets(old []gatehouse.Secret, fresh gatehouse.Secret, now time.Time, grace time.Duration) []gatehouse.Secret {
	out := make([]gatehouse.Secret, 0, gatehouse.MaxSecrets)
	if grace > 0 {
		var live []gatehouse.Secret
		for _, s := range old {
			if s.ExpiresAt.IsZero() || s.ExpiresAt.After(now) {
				live = append(live, s)
			}
		}
		// Newest first; the id breaks ties between secrets of one instant.
		slices.SortFunc(live, func(a, b gatehouse.Secret) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
		until := now.Add(grace)
		for _, s := range live[:min(len(live), gatehouse.MaxSecrets-1)] {
			if s.ExpiresAt.IsZero() || s.ExpiresAt.After(until) {
				s.ExpiresAt = until
			}
			out = append(out, s)
		}
		slices.Reverse(out) // oldest first, as the store keeps them
	}
	return append(out, fresh)
}

// RevokeClient revokes a client: it gets no token any more, and its tokens
// become inactive. Revoking a revoked client changes nothing and succeeds.
func (s *Service) RevokeClient(ctx context.Context, p *gatehouse.Principal, id string) (*gatehouse.Client, error) {
	c, err := s.visibleClient(ctx, p, ActCredentials, id)
	if err != nil {
		return nil, err
	}
	if !c.Active() {
		return c, nil
	}
	var stored *gatehouse.Client
	err = s.change(ctx, func(tx gatehouse.Store) error {
		// One transaction marks the client revoked, records it for the
		// revocation feed and audits it.
		var err error
		if stored, err = tx.RevokeClient(ctx, c.ID, s.now().UTC()); err != nil {
			return err
		}
		return s.auditClient(ctx, tx, p, "client.revoke", c, "")
	})
	if err != nil {
		return nil, fmt.Errorf("revoke client %s: %w", c.ID, err)
	}
	s.logger.InfoContext(ctx, "manage: client revoked", "client_id", c.ID, "actor", p.Actor())
	return stored, nil
}

// RevokeSecret revokes one secret of a client: it stops working at once and
// every token issued with it becomes inactive.
func (s *Service) RevokeSecret(ctx context.Context, p *gatehouse.Principal, id string, secretID int64) (*gatehouse.Client, error) {
	c, err := s.visibleClient(ctx, p, ActCredentials, id)
	if err != nil {
		return nil, err
	}
	var stored *gatehouse.Client
	err = s.change(ctx, func(tx gatehouse.Store) error {
		var err error
		if stored, err = tx.RevokeSecret(ctx, c.ID, secretID, s.now().UTC()); err != nil {
			if errors.Is(err, gatehouse.ErrNotFound) {
				return gatehouse.Errorf(gatehouse.ENOTFOUND, "client %q has no secret %d", c.ID, secretID)
			}
			return fmt.Errorf("revoke secret %d of client %s: %w", secretID, c.ID, err)
		}
		return s.auditClient(ctx, tx, p, "client.secrets.revoke", c, fmt.Sprintf("secret %d", secretID))
	})
	if err != nil {
		return nil, err
	}
	s.logger.InfoContext(ctx, "manage: client secret revoked", "client_id", c.ID, "secret_id", secretID, "actor", p.Actor())
	return stored, nil
}
