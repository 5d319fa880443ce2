package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

// Result says what Environment created.
type Result struct {
	// Environment is the stored environment (as it was, if it existed).
	Environment *gatehouse.Environment
	// CreatedEnvironment is set when the environment did not exist before.
	CreatedEnvironment bool
	// Key is the active signing key this call created, nil when the
	// environment had one.
	Key *gatehouse.SigningKey
}

// Environment makes sure that env exists and has an active signing key.
// If no environment of that name exists it stores env (validated; a zero
// CreatedAt and UpdatedAt are set to now). An existing environment is left
// as it is. Then, unless the environment has an active key, it creates one
// with the environment's signing algorithm. Keys are generated before
// anything is written, so a failure to generate writes nothing.
func Environment(ctx context.Context, store gatehouse.Store, env *gatehouse.Environment, r io.Reader, now time.Time) (*Result, error) {
	now = now.UTC()
	if err := env.Validate(); err != nil {
		return nil, err
	}
	res := &Result{}
	stored, err := store.Environment(ctx, env.Name)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		key, err := keys.Generate(env.Name, env.SigningAlgorithm, gatehouse.KeyActive, r, now)
		if err != nil {
			return nil, err
		}
		if env.CreatedAt.IsZero() {
			env.CreatedAt = now
		}
		if env.UpdatedAt.IsZero() {
			env.UpdatedAt = env.CreatedAt
		}
		err = store.CreateEnvironment(ctx, env)
		if err == nil {
			res.Environment, res.CreatedEnvironment = env, true
			if err := store.CreateSigningKey(ctx, key); err != nil {
				return nil, fmt.Errorf("create the first signing key of %s: %w", env.Name, err)
			}
			res.Key = key
			return res, nil
		}
		if !errors.Is(err, gatehouse.ErrConflict) {
			return nil, fmt.Errorf("create environment %s: %w", env.Name, err)
		}
		// Another replica was faster: go on with the environment it made.
		if stored, err = store.Environment(ctx, env.Name); err != nil {
			return nil, fmt.Errorf("load environment %s: %w", env.Name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("load environment %s: %w", env.Name, err)
	}
	res.Environment = stored
	list, err := store.SigningKeys(ctx, stored.Name)
	if err != nil {
		return nil, fmt.Errorf("signing keys of %s: %w", stored.Name, err)
	}
	for _, k := range list {
		if k.State == gatehouse.KeyActive {
			return res, nil
		}
	}
	key, err := keys.Generate(stored.Name, stored.SigningAlgorithm, gatehouse.KeyActive, r, now)
	if err != nil {
		return nil, err
	}
	if err := store.CreateSigningKey(ctx, key); err != nil {
		return nil, fmt.Errorf("create the first signing key of %s: %w", stored.Name, err)
	}
	res.Key = key
	return res, nil
}

// New returns an environment called name with the default settings
// (ES256 unless alg is given, default token settings and rate limits).
func New(name, alg string) *gatehouse.Environment {
	if alg == "" {
		alg = gatehouse.AlgES256
	}
	return &gatehouse.Environment{
		Name: name, SigningAlgorithm: alg, Tokens: gatehouse.DefaultTokenSettings(), Limits: gatehouse.DefaultRateLimits(),
	}
}
