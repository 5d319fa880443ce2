package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testEnvironments(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("a created environment reads back with every field", func(t *testing.T) {
		s := newStore(t)
		want := &gatehouse.Environment{
			Name:             "partners-eu_1",
			SigningAlgorithm: gatehouse.AlgEdDSA,
			Tokens: gatehouse.TokenSettings{
				Format:          gatehouse.TokenFormatOpaque,
				Lifetime:        90 * 24 * time.Hour,
				Reuse:           true,
				DefaultAudience: "https://api.example.com",
			},
			Limits:    gatehouse.RateLimits{ClientPerMinute: 30, ClientBurst: 5, IPPerMinute: 0, IPBurst: 0},
			CreatedAt: at(0),
			UpdatedAt: at(time.Hour + time.Microsecond),
		}
		must(t, "CreateEnvironment", s.CreateEnvironment(ctx, want))
		got, err := s.Environment(ctx, want.Name)
		must(t, "Environment", err)
		sameFields(t, "environment", got, want)
	})

	t.Run("zero creation times are set by the store", func(t *testing.T) {
		s := newStore(t)
		e := newEnvironment("sandbox")
		e.CreatedAt, e.UpdatedAt = time.Time{}, time.Time{}
		must(t, "CreateEnvironment", s.CreateEnvironment(ctx, e))
		if e.CreatedAt.IsZero() || e.UpdatedAt.IsZero() {
			t.Fatalf("CreatedAt %v, UpdatedAt %v: want both set", e.CreatedAt, e.UpdatedAt)
		}
		got, err := s.Environment(ctx, e.Name)
		must(t, "Environment", err)
		if !got.CreatedAt.Equal(e.CreatedAt) || !got.UpdatedAt.Equal(e.UpdatedAt) {
			t.Errorf("stored times %v, %v; the struct says %v, %v", got.CreatedAt, got.UpdatedAt, e.CreatedAt, e.UpdatedAt)
		}
	})

	t.Run("creating an environment whose name is taken is a conflict", func(t *testing.T) {
		s := newStore(t)
		must(t, "CreateEnvironment", s.CreateEnvironment(ctx, newEnvironment("sandbox")))
		wantCode(t, "second CreateEnvironment", s.CreateEnvironment(ctx, newEnvironment("sandbox")), gatehouse.ECONFLICT)
	})

	t.Run("an unknown environment is not found", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Environment(ctx, "nowhere")
		wantCode(t, "Environment", err, gatehouse.ENOTFOUND)
	})

	t.Run("an invalid environment is rejected and not stored", func(t *testing.T) {
		s := newStore(t)
		cases := map[string]func(e *gatehouse.Environment){
			"bad name":       func(e *gatehouse.Environment) { e.Name = "Sand Box" },
			"bad algorithm":  func(e *gatehouse.Environment) { e.SigningAlgorithm = "HS256" },
			"bad format":     func(e *gatehouse.Environment) { e.Tokens.Format = "saml" },
			"short lifetime": func(e *gatehouse.Environment) { e.Tokens.Lifetime = time.Millisecond },
			"negative rate":  func(e *gatehouse.Environment) { e.Limits.ClientPerMinute = -1 },
			"rate, no burst": func(e *gatehouse.Environment) { e.Limits.IPBurst = 0 },
		}
		for name, spoil := range cases {
			e := newEnvironment("sandbox")
			spoil(e)
			wantCode(t, "CreateEnvironment with "+name, s.CreateEnvironment(ctx, e), gatehouse.EINVALID)
		}
		list, err := s.Environments(ctx)
		must(t, "Environments", err)
		if len(list) != 0 {
			t.Errorf("Environments: got %d, want none", len(list))
		}
		must(t, "CreateEnvironment", s.CreateEnvironment(ctx, newEnvironment("sandbox")))
		e := newEnvironment("sandbox")
		e.Tokens.Lifetime = 100 * 24 * time.Hour
		wantCode(t, "UpdateEnvironment with a lifetime over 90 days", s.UpdateEnvironment(ctx, e), gatehouse.EINVALID)
	})

	t.Run("environments are listed by name", func(t *testing.T) {
		s := newStore(t)
		for _, name := range []string{"sandbox", "admin", "production", "a-b", "a_b", "a0"} {
			must(t, "CreateEnvironment "+name, s.CreateEnvironment(ctx, newEnvironment(name)))
		}
		list, err := s.Environments(ctx)
		must(t, "Environments", err)
		var names []string
		for _, e := range list {
			names = append(names, e.Name)
		}
		// Byte order: '-' < '0' < '_' < 'a'.
		sameFields(t, "names", names, []string{"a-b", "a0", "a_b", "admin", "production", "sandbox"})
	})

	t.Run("an empty store lists no environments", func(t *testing.T) {
		s := newStore(t)
		list, err := s.Environments(ctx)
		must(t, "Environments", err)
		if len(list) != 0 {
			t.Errorf("got %d environments, want none", len(list))
		}
	})

	t.Run("updating an environment stores its settings and keeps its creation time", func(t *testing.T) {
		s := newStore(t)
		must(t, "CreateEnvironment", s.CreateEnvironment(ctx, newEnvironment("sandbox")))
		want := &gatehouse.Environment{
			Name:             "sandbox",
			SigningAlgorithm: gatehouse.AlgRS256,
			Tokens: gatehouse.TokenSettings{
				Format: gatehouse.TokenFormatOpaque, Lifetime: 2 * time.Hour, Reuse: true, DefaultAudience: "ledger",
			},
			Limits:    gatehouse.RateLimits{ClientPerMinute: 1000, ClientBurst: 10, IPPerMinute: 5000, IPBurst: 50},
			CreatedAt: at(24 * time.Hour), // ignored
			UpdatedAt: at(48*time.Hour + 7*time.Microsecond),
		}
		must(t, "UpdateEnvironment", s.UpdateEnvironment(ctx, want))
		got, err := s.Environment(ctx, "sandbox")
		must(t, "Environment", err)
		want.CreatedAt = at(0)
		sameFields(t, "environment", got, want)

		want.Tokens = gatehouse.DefaultTokenSettings()
		must(t, "UpdateEnvironment back to defaults", s.UpdateEnvironment(ctx, want))
		got, err = s.Environment(ctx, "sandbox")
		must(t, "Environment", err)
		sameFields(t, "environment", got, want)
	})

	t.Run("updating an unknown environment is not found", func(t *testing.T) {
		s := newStore(t)
		wantCode(t, "UpdateEnvironment", s.UpdateEnvironment(ctx, newEnvironment("nowhere")), gatehouse.ENOTFOUND)
	})
}
