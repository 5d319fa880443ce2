package provision_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/provision"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func activeKeys(t *testing.T, s *sqlstore.Store, env string) []*gatehouse.SigningKey {
	t.Helper()
	list, err := s.SigningKeys(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	var out []*gatehouse.SigningKey
	for _, k := range list {
		if k.State == gatehouse.KeyActive {
			out = append(out, k)
		}
	}
	return out
}

func TestEnvironment(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []string{gatehouse.AlgES256, gatehouse.AlgEdDSA, gatehouse.AlgRS256} {
		t.Run("a new environment gets one active "+alg+" key", func(t *testing.T) {
			s := openStore(t)
			res, err := provision.Environment(ctx, s, provision.New("test-clients", alg), rand.Reader, now)
			if err != nil {
				t.Fatal(err)
			}
			if !res.CreatedEnvironment || res.Key == nil {
				t.Fatalf("result %+v: want a created environment and key", res)
			}
			keys := activeKeys(t, s, "test-clients")
			if len(keys) != 1 || keys[0].Algorithm != alg || keys[0].ID != res.Key.ID {
				t.Fatalf("active keys %+v, want one %s key", keys, alg)
			}
			env, err := s.Environment(ctx, "test-clients")
			if err != nil || env.SigningAlgorithm != alg || !env.CreatedAt.Equal(now) || env.Limits != gatehouse.DefaultRateLimits() {
				t.Fatalf("stored environment %+v, %v", env, err)
			}
		})
	}

	t.Run("running it again changes nothing", func(t *testing.T) {
		s := openStore(t)
		first, err := provision.Environment(ctx, s, provision.New("clients", ""), rand.Reader, now)
		if err != nil {
			t.Fatal(err)
		}
		again := provision.New("clients", gatehouse.AlgEdDSA)
		again.Tokens.Lifetime = time.Hour
		res, err := provision.Environment(ctx, s, again, rand.Reader, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if res.CreatedEnvironment || res.Key != nil {
			t.Fatalf("second run created something: %+v", res)
		}
		if res.Environment.SigningAlgorithm != gatehouse.AlgES256 || res.Environment.Tokens.Lifetime != gatehouse.DefaultTokenLifetime {
			t.Fatalf("second run changed the environment: %+v", res.Environment)
		}
		if keys := activeKeys(t, s, "clients"); len(keys) != 1 || keys[0].ID != first.Key.ID {
			t.Fatalf("active keys %+v, want only the first", keys)
		}
	})

	t.Run("an environment left without a key is completed", func(t *testing.T) {
		s := openStore(t)
		env := provision.New("half-made", gatehouse.AlgEdDSA)
		env.CreatedAt, env.UpdatedAt = now, now
		if err := s.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
		res, err := provision.Environment(ctx, s, provision.New("half-made", ""), rand.Reader, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.CreatedEnvironment || res.Key == nil || res.Key.Algorithm != gatehouse.AlgEdDSA {
			t.Fatalf("result %+v: want a new EdDSA key for the existing environment", res)
		}
	})

	t.Run("an invalid environment writes nothing", func(t *testing.T) {
		s := openStore(t)
		for _, env := range []*gatehouse.Environment{provision.New("Bad Name", ""), provision.New("ok", "HS256")} {
			if _, err := provision.Environment(ctx, s, env, rand.Reader, now); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
				t.Fatalf("%s/%s: err %v, want invalid", env.Name, env.SigningAlgorithm, err)
			}
		}
		list, _ := s.Environments(ctx)
		if len(list) != 0 {
			t.Fatalf("%d environments stored", len(list))
		}
	})
}

// racingStore is a store in which another replica stores the environment's
// first active key just after this one has looked for it.
type racingStore struct {
	*sqlstore.Store
	t     *testing.T
	raced bool
}

func (s *racingStore) SigningKeys(ctx context.Context, env string) ([]*gatehouse.SigningKey, error) {
	list, err := s.Store.SigningKeys(ctx, env)
	if !s.raced {
		s.raced = true
		k, gerr := keys.Generate(env, gatehouse.AlgES256, gatehouse.KeyActive, rand.Reader, now)
		if gerr != nil {
			s.t.Fatal(gerr)
		}
		if cerr := s.Store.CreateSigningKey(ctx, k); cerr != nil {
			s.t.Fatalf("the other replica's key: %v", cerr)
		}
	}
	return list, err
}

func TestEnvironmentRacingAnotherReplica(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	env := provision.New("clients", "")
	env.CreatedAt, env.UpdatedAt = now, now
	if err := s.CreateEnvironment(ctx, env); err != nil {
		t.Fatal(err)
	}
	res, err := provision.Environment(ctx, &racingStore{Store: s, t: t}, provision.New("clients", ""), rand.Reader, now)
	if err != nil {
		t.Fatalf("provisioning while another replica stored the first key: %v", err)
	}
	if res.Key != nil {
		t.Errorf("reported creating key %s, but the other replica's key is the one", res.Key.ID)
	}
	if keys := activeKeys(t, s, "clients"); len(keys) != 1 {
		t.Fatalf("%d active keys, want exactly one", len(keys))
	}
}
