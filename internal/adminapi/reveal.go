package adminapi

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/password"
)

// sealPurpose is the master-key purpose of sealed client secrets.
const sealPurpose = "client-secret/v1"

// sealSecret returns the sealed copy of a new secret of client clientID in
// env, or nil when env does not allow reveal.
func (h *Handler) sealSecret(env *gatehouse.Environment, clientID, secret string) ([]byte, error) {
	if !env.AllowReveal {
		return nil, nil
	}
	if h.masterKey == nil {
		return nil, gatehouse.Errorf(gatehouse.ECONFLICT,
			"environment %s allows reveal, but this server has no master key to encrypt secrets with", env.Name)
	}
	return h.masterKey.Seal(h.rand, sealPurpose, []byte(secret), []byte(clientID))
}

// revealClientSecret serves POST /admin/v1/clients/{client_id}/reveal. The
// body holds the email and password of a user, who must be an operator or
// an owner, admin or developer of the client's account. Every attempt is
// audited; the secret is shown only once its audit record is stored.
func (h *Handler) revealClientSecret(w http.ResponseWriter, r *http.Request) error {
	var req wire.RevealRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		return err
	}
	if strings.TrimSpace(req.Email) == "" || req.Password == "" {
		return gatehouse.Errorf(gatehouse.EINVALID, "email and password are required: reveal needs the user to sign in again")
	}
	c, err := h.loadClient(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	event := &gatehouse.AuditEvent{
		Time: h.now().UTC(), Actor: "user:" + strings.TrimSpace(req.Email), SourceIP: remoteIP(r),
		Action: "client.reveal", Object: "client:" + c.ID, Environment: c.Environment,
	}
	if p, err := h.authenticate(r); err == nil && p != nil {
		event.Detail = "through admin API client " + p.ClientID
	}
	secret, secretID, err := h.reveal(ctx, c, req)
	if err != nil {
		event.Outcome = gatehouse.OutcomeDenied
		if gatehouse.ErrorCode(err) == gatehouse.EINTERNAL || gatehouse.ErrorCode(err) == gatehouse.EUNAVAILABLE {
			event.Outcome = gatehouse.OutcomeFailure
		}
		event.Detail = strings.TrimSpace(event.Detail + "; " + gatehouse.ErrorMessage(err))
		if aerr := h.store.AppendAudit(context.WithoutCancel(ctx), event); aerr != nil {
			h.logger.ErrorContext(ctx, "admin API: audit of a refused reveal failed", "client_id", c.ID, "err", aerr)
		}
		return err
	}
	event.Outcome = gatehouse.OutcomeSuccess
	event.Detail = strings.TrimSpace(fmt.Sprintf("secret %d; %s", secretID, event.Detail))
	if err := h.store.AppendAudit(ctx, event); err != nil {
		return fmt.Errorf("audit the reveal of client %s (the secret was not shown): %w", c.ID, err)
	}
	h.logger.InfoContext(ctx, "admin API: client secret revealed", "client_id", c.ID, "secret_id", secretID, "actor", event.Actor)
	writeJSON(w, http.StatusOK, wire.RevealedSecret{
		ClientID: c.ID, Environment: c.Environment, SecretID: secretID,
		ClientSecret: secret, APIKey: gatehouse.FormatAPIKey(c.Environment, c.ID, secret),
	})
	return nil
}

// reveal re-authenticates the user and opens the client's newest secret.
func (h *Handler) reveal(ctx context.Context, c *gatehouse.Client, req wire.RevealRequest) (string, int64, error) {
	user, err := h.reauthenticate(ctx, req.Email, req.Password)
	if err != nil {
		return "", 0, err
	}
	if !user.Operator {
		allowed := user.AccountID == c.AccountID &&
			(user.Role == gatehouse.RoleOwner || user.Role == gatehouse.RoleAdmin || user.Role == gatehouse.RoleDeveloper)
		if !allowed {
			return "", 0, gatehouse.Errorf(gatehouse.EFORBIDDEN, "user %s may not reveal the secrets of client %s", user.Email, c.ID)
		}
	}
	env, err := h.store.Environment(ctx, c.Environment)
	if err != nil {
		return "", 0, lookupError(err, fmt.Sprintf("environment %q", c.Environment))
	}
	if !env.AllowReveal {
		return "", 0, gatehouse.Errorf(gatehouse.EFORBIDDEN,
			"environment %s does not allow revealing secrets (set allow_reveal, then rotate the secret)", env.Name)
	}
	s := newestLiveSecret(c, h.now())
	if s == nil {
		return "", 0, gatehouse.Errorf(gatehouse.ECONFLICT, "client %s has no live secret; rotate to get one", c.ID)
	}
	if s.Sealed == nil {
		return "", 0, gatehouse.Errorf(gatehouse.ECONFLICT,
			"secret %d of client %s was created before reveal was enabled and cannot be shown; rotate it to get a revealable secret", s.ID, c.ID)
	}
	if h.masterKey == nil {
		return "", 0, gatehouse.Errorf(gatehouse.ECONFLICT, "this server has no master key to decrypt secrets with")
	}
	plain, err := h.masterKey.Open(sealPurpose, s.Sealed, []byte(c.ID))
	if errors.Is(err, masterkey.ErrUnknownKey) {
		id, _ := masterkey.KeyIDOf(s.Sealed)
		return "", 0, gatehouse.Errorf(gatehouse.ECONFLICT,
			"secret %d was encrypted under master key %s, which this server does not have (replicas must share GATEHOUSE_MASTER_KEY)", s.ID, id)
	} else if err != nil {
		return "", 0, fmt.Errorf("open secret %d of client %s: %w", s.ID, c.ID, err)
	}
	// The sealed copy must be the secret whose hash authenticates.
	h2 := gatehouse.HashSecret(string(plain))
	if subtle.ConstantTimeCompare(h2[:], s.Hash[:]) != 1 {
		return "", 0, fmt.Errorf("secret %d of client %s: the sealed copy does not match the stored hash", s.ID, c.ID)
	}
	return string(plain), s.ID, nil
}

// newestLiveSecret returns the client's newest secret that has not expired.
func newestLiveSecret(c *gatehouse.Client, now time.Time) *gatehouse.Secret {
	var best *gatehouse.Secret
	for i := range c.Secrets {
		s := &c.Secrets[i]
		if !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt) {
			continue
		}
		if best == nil || cmp.Or(s.CreatedAt.Compare(best.CreatedAt), cmp.Compare(s.ID, best.ID)) > 0 {
			best = s
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

// reauthenticate checks a user's email and password. Every failure is the
// same forbidden error.
func (h *Handler) reauthenticate(ctx context.Context, email, pw string) (*gatehouse.User, error) {
	refused := gatehouse.Errorf(gatehouse.EFORBIDDEN, "the email or password is wrong, or the user is disabled")
	u, err := h.store.UserByEmail(ctx, strings.TrimSpace(email))
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

// remoteIP returns the host part of the request's remote address.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
