package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// TestMigrationKeepsOneActiveKey starts from the schema before migration
// 0013, where replicas starting together could store two active keys for an
// environment, and checks that the migration keeps the newest (the one that
// signs) and retires the other.
func TestMigrationKeepsOneActiveKey(t *testing.T) {
	ctx := context.Background()
	dialects(t, func(t *testing.T, open func() *Store) {
		s := open()
		if err := s.migrateTo(ctx, 12); err != nil {
			t.Fatalf("migrate to 12: %v", err)
		}
		created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for _, env := range []string{"sandbox", "production"} {
			if _, err := s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO environments
				(name, signing_algorithm, token_format, token_lifetime_seconds, token_reuse, created_at, updated_at)
				VALUES (?, 'ES256', 'jwt', 300, ?, 0, 0)`), env, false); err != nil {
				t.Fatal(err)
			}
		}
		for i, k := range []struct{ env, id string }{{"sandbox", "older"}, {"sandbox", "newer"}, {"production", "only"}} {
			if _, err := s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO signing_keys
				(environment, id, algorithm, private_key, state, created_at) VALUES (?, ?, 'ES256', ?, 'active', ?)`),
				k.env, k.id, []byte{1}, micros(created.Add(time.Duration(i)*time.Second))); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		states := map[string]string{}
		for _, env := range []string{"sandbox", "production"} {
			list, err := s.SigningKeys(ctx, env)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range list {
				states[k.ID] = k.State
				if k.State == gatehouse.KeyRetired && k.RemoveAt.Before(time.Now().Add(gatehouse.MaxTokenLifetime)) {
					t.Errorf("key %s is retired until %v, want the longest token lifetime from now", k.ID, k.RemoveAt)
				}
			}
		}
		want := map[string]string{"older": gatehouse.KeyRetired, "newer": gatehouse.KeyActive, "only": gatehouse.KeyActive}
		for id, st := range want {
			if states[id] != st {
				t.Errorf("after migration key %s is %q, want %q (all: %v)", id, states[id], st, states)
			}
		}
		e, err := s.Environment(ctx, "production")
		if err != nil || !e.Production {
			t.Errorf("the production environment is not marked production after the migration (%v)", err)
		}
	})
}
