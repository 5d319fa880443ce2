package keyrotation

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

// Defaults of Config.
const (
	// DefaultPublicationDelay is how long a next key is published before it
	// signs: far above the JWKS Cache-Control max-age (60 s) and the
	// discovery document's (300 s), so that resource servers that cache the
	// JWKS for as long as they are told, or a little longer, have the key
	// before the first token it signs.
	DefaultPublicationDelay = time.Hour
	// DefaultRotateAfter is the age of the active key after which automatic
	// rotation starts a new one.
	DefaultRotateAfter = 90 * 24 * time.Hour
	// DefaultRetireMargin is added to the longest token lifetime when a key
	// is retired: it covers replicas whose cache has not yet seen the
	// promotion and still sign with the retired key for a while.
	DefaultRetireMargin = 10 * time.Minute
)

// Config configures a Rotator. Store is required.
type Config struct {
	Store gatehouse.Store
	// Now is the clock (time.Now if nil); Rand the randomness for new keys
	// (crypto/rand if nil).
	Now  func() time.Time
	Rand io.Reader
	// Logger receives a line per rotation step; nil discards.
	Logger *slog.Logger
	// PublicationDelay is how long a next key is published before it
	// becomes active (DefaultPublicationDelay if zero).
	PublicationDelay time.Duration
	// RotateAfter is the age (since creation) of an active key at which
	// Advance starts a rotation; zero or negative never rotates
	// automatically.
	RotateAfter time.Duration
	// RetireMargin is added to the longest token lifetime to compute a
	// retired key's RemoveAt (DefaultRetireMargin if zero).
	RetireMargin time.Duration
	// ExtraLifetime returns the longest lifetime something other than the
	// environment's and its clients' settings can give a token of env (the
	// legacy dialects' settings); nil for none.
	ExtraLifetime func(env string) time.Duration
}

// Rotator runs signing-key rotations. It is safe for concurrent use and
// keeps no state between calls: everything is in the store.
type Rotator struct {
	cfg Config
}

// New returns a Rotator.
func New(cfg Config) *Rotator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PublicationDelay <= 0 {
		cfg.PublicationDelay = DefaultPublicationDelay
	}
	if cfg.RetireMargin <= 0 {
		cfg.RetireMargin = DefaultRetireMargin
	}
	return &Rotator{cfg: cfg}
}

// PublicationDelay returns how long a next key is published before it signs.
func (r *Rotator) PublicationDelay() time.Duration { return r.cfg.PublicationDelay }

// ActivatesAt returns when a next key is due to become active.
func (r *Rotator) ActivatesAt(k *gatehouse.SigningKey) time.Time {
	return k.CreatedAt.Add(r.cfg.PublicationDelay)
}

// Rotate starts a rotation of env's signing key: it creates a next key of
// algorithm alg (the environment's signing algorithm if ""), which is
// published at once and becomes active after the publication delay (see
// Advance). The key is generated before anything is written. If env already
// has a next key, the answer is an ECONFLICT error that says when that key
// becomes active; ENOTFOUND if env does not exist.
func (r *Rotator) Rotate(ctx context.Context, env, alg string) (*gatehouse.SigningKey, error) {
	e, err := r.cfg.Store.Environment(ctx, env)
	if err != nil {
		return nil, err
	}
	if alg == "" {
		alg = e.SigningAlgorithm
	}
	if err := gatehouse.ValidateSigningAlgorithm(alg); err != nil {
		return nil, err
	}
	if next, err := r.nextKey(ctx, env); err != nil {
		return nil, err
	} else if next != nil {
		return nil, r.rotationUnderWay(next)
	}
	k, err := keys.Generate(env, alg, gatehouse.KeyNext, r.cfg.Rand, r.cfg.Now())
	if err != nil {
		return nil, err
	}
	if err := r.cfg.Store.CreateSigningKey(ctx, k); err != nil {
		if errors.Is(err, gatehouse.ErrConflict) { // another replica or operator was faster
			if next, nerr := r.nextKey(ctx, env); nerr == nil && next != nil {
				return nil, r.rotationUnderWay(next)
			}
		}
		return nil, err
	}
	r.cfg.Logger.InfoContext(ctx, "signing key rotation started: next key published", "environment", env,
		"kid", k.ID, "alg", k.Algorithm, "activates_at", r.ActivatesAt(k))
	return k, nil
}

// RotateNow is the emergency rotation: it creates a key of algorithm alg
// (the environment's if "") that signs at once, deletes a pending next key
// and retires the active key (published until every token it signed has
// expired). Resource servers that cached the JWKS before the new key was
// published refuse its tokens until they fetch the JWKS again (at most its
// max-age, 60 s, for a well-behaved cache). It returns the new key.
func (r *Rotator) RotateNow(ctx context.Context, env, alg string) (*gatehouse.SigningKey, error) {
	e, err := r.cfg.Store.Environment(ctx, env)
	if err != nil {
		return nil, err
	}
	if alg == "" {
		alg = e.SigningAlgorithm
	}
	if err := gatehouse.ValidateSigningAlgorithm(alg); err != nil {
		return nil, err
	}
	now := r.cfg.Now()
	lifetime, err := r.LongestTokenLifetime(ctx, env)
	if err != nil {
		return nil, err
	}
	k, err := keys.Generate(env, alg, gatehouse.KeyActive, r.cfg.Rand, now)
	if err != nil {
		return nil, err
	}
	retired, err := r.cfg.Store.ActivateSigningKey(ctx, k, now.Add(lifetime+r.cfg.RetireMargin))
	if err != nil {
		return nil, err
	}
	r.cfg.Logger.WarnContext(ctx, "signing key rotated at once: the new key signs now", "environment", env,
		"kid", k.ID, "alg", k.Algorithm, "retired_kids", retired)
	return k, nil
}

// Revoke revokes env's key kid: it leaves the JWKS at once and every token
// it signed is inactive at introspection. The active key cannot be revoked
// (ECONFLICT: RotateNow first). The record is kept for the longest token
// lifetime Gatehouse allows, for revocation feeds.
func (r *Rotator) Revoke(ctx context.Context, env, kid string) error {
	now := r.cfg.Now()
	if err := r.cfg.Store.RevokeSigningKey(ctx, env, kid, now, now.Add(gatehouse.MaxTokenLifetime)); err != nil {
		return err
	}
	r.cfg.Logger.WarnContext(ctx, "signing key revoked: it is no longer published and its tokens are inactive",
		"environment", env, "kid", kid)
	return nil
}

// CancelNext deletes env's pending next key kid before it signs anything.
func (r *Rotator) CancelNext(ctx context.Context, env, kid string) error {
	if err := r.cfg.Store.CancelNextSigningKey(ctx, env, kid); err != nil {
		return err
	}
	r.cfg.Logger.InfoContext(ctx, "pending signing key cancelled", "environment", env, "kid", kid)
	return nil
}

func (r *Rotator) rotationUnderWay(next *gatehouse.SigningKey) error {
	return gatehouse.Errorf(gatehouse.ECONFLICT, "a rotation of %s is under way: key %s becomes active at %s",
		next.Environment, next.ID, r.ActivatesAt(next).UTC().Format(time.RFC3339))
}

func (r *Rotator) nextKey(ctx context.Context, env string) (*gatehouse.SigningKey, error) {
	list, err := r.cfg.Store.SigningKeys(ctx, env)
	if err != nil {
		return nil, err
	}
	for _, k := range list {
		if k.State == gatehouse.KeyNext {
			return k, nil
		}
	}
	return nil, nil
}

// Advance moves env's keys along the rotation timeline at the current time:
// it promotes a next key whose publication delay has passed (retiring the
// active key until every token it signed has expired), deletes retired keys
// whose RemoveAt has come, and, with RotateAfter set, starts a rotation when
// the active key is that old. It reports whether it changed anything. Steps
// another replica took first are not errors.
func (r *Rotator) Advance(ctx context.Context, env string) (changed bool, err error) {
	now := r.cfg.Now()
	list, err := r.cfg.Store.SigningKeys(ctx, env)
	if err != nil {
		return false, err
	}
	var next, active *gatehouse.SigningKey
	for _, k := range list {
		switch k.State {
		case gatehouse.KeyNext:
			next = k
		case gatehouse.KeyActive:
			active = k // the newest, as the list is oldest first
		}
	}
	if next != nil && !now.Before(r.ActivatesAt(next)) {
		lifetime, err := r.LongestTokenLifetime(ctx, env)
		if err != nil {
			return false, err
		}
		removeAt := now.Add(lifetime + r.cfg.RetireMargin)
		switch err := r.cfg.Store.PromoteSigningKey(ctx, env, next.ID, removeAt); {
		case err == nil:
			changed = true
			r.cfg.Logger.InfoContext(ctx, "signing key promoted: it signs from now on", "environment", env, "kid", next.ID,
				"retired_kid", kidOf(active), "retired_remove_at", removeAt)
		case !errors.Is(err, gatehouse.ErrConflict) && !errors.Is(err, gatehouse.ErrNotFound):
			return changed, err
		}
		next, active = nil, next
	}
	deleted, err := r.cfg.Store.DeleteRemovedSigningKeys(ctx, env, now)
	if err != nil {
		return changed, err
	}
	if len(deleted) > 0 {
		changed = true
		r.cfg.Logger.InfoContext(ctx, "retired signing keys removed from the JWKS", "environment", env, "kids", deleted)
	}
	if r.cfg.RotateAfter > 0 && next == nil && active != nil && !now.Before(active.CreatedAt.Add(r.cfg.RotateAfter)) {
		switch _, err := r.Rotate(ctx, env, ""); {
		case err == nil:
			changed = true
		case !errors.Is(err, gatehouse.ErrConflict):
			return changed, err
		}
	}
	return changed, nil
}

// AdvanceAll runs Advance for every environment, going on past failures,
// and reports whether anything changed and the failures joined.
func (r *Rotator) AdvanceAll(ctx context.Context) (changed bool, err error) {
	envs, err := r.cfg.Store.Environments(ctx)
	if err != nil {
		return false, err
	}
	var errs []error
	for _, e := range envs {
		c, err := r.Advance(ctx, e.Name)
		changed = changed || c
		if err != nil {
			errs = append(errs, fmt.Errorf("advance signing keys of %s: %w", e.Name, err))
		}
	}
	return changed, errors.Join(errs...)
}

// LongestTokenLifetime returns the longest lifetime a token of env can be
// issued with now: the environment's, any of its clients' overrides, and
// ExtraLifetime's. The clients' part is one indexed read, so a rotation
// costs the same with a million clients as with ten.
func (r *Rotator) LongestTokenLifetime(ctx context.Context, env string) (time.Duration, error) {
	e, err := r.cfg.Store.Environment(ctx, env)
	if err != nil {
		return 0, err
	}
	longest := e.Tokens.Lifetime
	if r.cfg.ExtraLifetime != nil {
		longest = max(longest, r.cfg.ExtraLifetime(env))
	}
	clients, err := r.cfg.Store.LongestClientTokenLifetime(ctx, env)
	if err != nil {
		return 0, err
	}
	return max(longest, clients), nil
}

func kidOf(k *gatehouse.SigningKey) string {
	if k == nil {
		return ""
	}
	return k.ID
}
