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
			return res, createFirstKey(ctx, store, key, res)
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
	return res, createFirstKey(ctx, store, key, res)
}

// createFirstKey stores the environment's first active key and sets
// res.Key. The store keeps one active key per environment: a conflict means
// that another replica, provisioning at the same moment, stored its key
// first, and that key is the one.
func createFirstKey(ctx context.Context, store gatehouse.Store, key *gatehouse.SigningKey, res *Result) error {
	err := store.CreateSigningKey(ctx, key)
	switch {
	case err == nil:
		res.Key = key
		return nil
	case errors.Is(err, gatehouse.ErrConflict):
		list, lerr := store.SigningKeys(ctx, key.Environment)
		if lerr != nil {
			return fmt.Errorf("signing keys of %s: %w", key.Environment, lerr)
		}
		for _, k := range list {
			if k.State == gatehouse.KeyActive {
				return nil
			}
		}
	}
	return fmt.Errorf("create the first signing key of %s: %w", key.Environment, err)
}

// New returns an environment called name with the default settings
// (ES256 unless alg is given, default token settings and rate limits).
func New(name, alg string) *gatehouse.Environment {
	if alg == "" {
		alg = gatehouse.AlgES256
	}
	return &gatehouse.Environment{
		Name: name, SigningAlgorithm: alg, Tokens: gatehouse.DefaultTokenSettings(), Limits: gatehouse.DefaultRateLimits(),
		Production: name == gatehouse.EnvProduction,
	}
}
