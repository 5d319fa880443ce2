package manage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// auditFailingStore is a store whose audit appends fail inside
// transactions.
type auditFailingStore struct{ gatehouse.Store }

var errAudit = errors.New("audit log is full")

func (s auditFailingStore) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	return s.Store.InTx(ctx, func(tx gatehouse.Store) error { return fn(auditFailingTx{tx}) })
}

type auditFailingTx struct{ gatehouse.Store }

func (auditFailingTx) AppendAudit(context.Context, *gatehouse.AuditEvent) error { return errAudit }

func TestAChangeIsNotKeptWithoutItsAuditRecord(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, f.acme.ID)
	failing := New(Config{Store: auditFailingStore{f.store}, Rand: f.service.rand, Now: f.clock})
	p := apiWriter()

	steps := []struct {
		name string
		run  func() error
	}{
		{"rotate", func() error { _, err := failing.RotateSecret(f.ctx, p, c.Client.ID, time.Hour); return err }},
		{"renew", func() error { _, err := failing.RenewSecret(f.ctx, p, c.Client.ID); return err }},
		{"update", func() error {
			_, err := failing.UpdateClient(f.ctx, p, c.Client.ID, ClientPatch{Name: Field[string]{Set: true, Value: "x"}})
			return err
		}},
		{"revoke a secret", func() error {
			_, err := failing.RevokeSecret(f.ctx, p, c.Client.ID, c.Client.Secrets[0].ID)
			return err
		}},
		{"revoke", func() error { _, err := failing.RevokeClient(f.ctx, p, c.Client.ID); return err }},
		{"create a client with a new account", func() error {
			_, err := failing.CreateClient(f.ctx, p, NewClient{Environment: gatehouse.EnvSandbox, Name: "orphan?"})
			return err
		}},
		{"create an account", func() error { _, err := failing.CreateAccount(f.ctx, p, "Gamma"); return err }},
		{"update an environment", func() error {
			burst := 7
			_, err := failing.UpdateEnvironment(f.ctx, p, gatehouse.EnvSandbox, EnvironmentPatch{Limits: &RateLimitsPatch{ClientBurst: &burst}})
			return err
		}},
	}
	for _, s := range steps {
		t.Run("a failed audit append undoes "+s.name, func(t *testing.T) {
			if err := s.run(); !errors.Is(err, errAudit) {
				t.Fatalf("%s: %v, want the audit failure", s.name, err)
			}
			got, err := f.store.Client(f.ctx, c.Client.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != c.Client.Version || got.Name != c.Client.Name || got.Status != gatehouse.ClientActive ||
				len(got.Secrets) != 1 || !got.VerifySecret(c.Secret, f.clock()) {
				t.Fatalf("the client changed without an audit record: %+v", got)
			}
			accounts, err := f.store.Accounts(f.ctx, gatehouse.AccountFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(accounts) != 2 {
				t.Fatalf("%d accounts, want the fixture's two", len(accounts))
			}
			env, err := f.store.Environment(f.ctx, gatehouse.EnvSandbox)
			if err != nil {
				t.Fatal(err)
			}
			if env.Limits != gatehouse.DefaultRateLimits() {
				t.Fatalf("the environment changed without an audit record: %+v", env.Limits)
			}
		})
	}
}

func TestRotationAndRenewal(t *testing.T) {
	f := newFixture(t)
	p := f.user(t, "dev@acme.example", "pw-of-dev-1", f.acme.ID, gatehouse.RoleDeveloper, false)
	c := f.client(t, f.acme.ID)

	t.Run("a rotation with grace keeps the old secret until the grace ends, and at most two live secrets", func(t *testing.T) {
		f.advance(time.Minute)
		first, err := f.service.RotateSecret(f.ctx, p, c.Client.ID, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !first.Client.VerifySecret(c.Secret, f.clock()) || !first.Client.VerifySecret(first.Secret, f.clock()) {
			t.Fatal("after a rotation with grace both secrets must work")
		}
		if first.Client.VerifySecret(c.Secret, f.clock().Add(24*time.Hour)) {
			t.Fatal("the old secret works after the grace period")
		}
		f.advance(time.Minute)
		second, err := f.service.RotateSecret(f.ctx, p, c.Client.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Client.Secrets) != gatehouse.MaxSecrets {
			t.Fatalf("%d secrets after two rotations, want %d", len(second.Client.Secrets), gatehouse.MaxSecrets)
		}
		if second.Client.VerifySecret(c.Secret, f.clock()) {
			t.Fatal("the first secret outlived a second rotation")
		}
	})
	t.Run("renew gives a new secret and kills every old one at once", func(t *testing.T) {
		before, err := f.store.Client(f.ctx, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		renewed, err := f.service.RenewSecret(f.ctx, p, c.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(renewed.Client.Secrets) != 1 || !renewed.Client.VerifySecret(renewed.Secret, f.clock()) {
			t.Fatalf("after renew: secrets %+v", renewed.Client.Secrets)
		}
		for _, s := range before.Secrets {
			if s.ID == renewed.Client.Secrets[0].ID {
				t.Fatal("an old secret survived the renewal")
			}
		}
		events := f.audits(t, "client:"+c.Client.ID)
		last := events[len(events)-1]
		if last.Action != "client.renew" || last.Actor != "user:dev@acme.example" || last.SourceIP != "198.51.100.7" ||
			last.Outcome != gatehouse.OutcomeSuccess || last.Environment != gatehouse.EnvSandbox {
			t.Fatalf("audit record %+v", last)
		}
	})
	t.Run("the dashboard's grace choices are none, an hour, a day and a week, all valid", func(t *testing.T) {
		want := []time.Duration{0, time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
		if len(GraceChoices) != len(want) {
			t.Fatalf("GraceChoices %v", GraceChoices)
		}
		for i, g := range GraceChoices {
			if g != want[i] {
				t.Fatalf("GraceChoices %v, want %v", GraceChoices, want)
			}
			if _, err := f.service.RotateSecret(f.ctx, p, c.Client.ID, g); err != nil {
				t.Fatalf("rotate with grace %s: %v", g, err)
			}
		}
		_, err := f.service.RotateSecret(f.ctx, p, c.Client.ID, MaxGrace+time.Second)
		wantCode(t, "a grace above the maximum", err, gatehouse.EINVALID)
	})
	t.Run("a revoked client cannot be rotated", func(t *testing.T) {
		if _, err := f.service.RevokeClient(f.ctx, p, c.Client.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.service.RenewSecret(f.ctx, p, c.Client.ID)
		wantCode(t, "renew a revoked client", err, gatehouse.ECONFLICT)
	})
}

// racingStore commits a revocation of the client just before the
// service's first write transaction, as a concurrent request would.
type racingStore struct {
	gatehouse.Store
	race func()
}

func (s *racingStore) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	if r := s.race; r != nil {
		s.race = nil
		r()
	}
	return s.Store.InTx(ctx, fn)
}

func TestAnUpdateRacingARevocationKeepsTheRevocation(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, f.acme.ID)
	store := &racingStore{Store: f.store}
	store.race = func() {
		if _, err := f.store.RevokeClient(f.ctx, c.Client.ID, startTime); err != nil {
			t.Error(err)
		}
	}
	s := New(Config{Store: store, Rand: f.service.rand, Now: f.clock})
	got, err := s.UpdateClient(f.ctx, apiWriter(), c.Client.ID, ClientPatch{Scopes: Field[[]string]{Set: true, Value: []string{"ledger:write"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != gatehouse.ClientRevoked || len(got.Scopes) != 1 || got.Scopes[0] != "ledger:write" {
		t.Fatalf("client %s with scopes %v: want the revocation kept and the update applied on top", got.Status, got.Scopes)
	}
}

func TestClientsWithUsage(t *testing.T) {
	f := newFixture(t)
	used, idle, other := f.client(t, f.acme.ID), f.client(t, f.acme.ID), f.client(t, f.beta.ID)
	last := startTime.Add(time.Hour)
	err := f.store.AddClientUsage(f.ctx, []gatehouse.ClientUsage{
		{ClientID: used.Client.ID, Environment: gatehouse.EnvSandbox, Tokens: 3, LastUsedAt: last},
		{ClientID: other.Client.ID, Environment: gatehouse.EnvSandbox, Tokens: 1, LastUsedAt: last},
	})
	if err != nil {
		t.Fatal(err)
	}
	viewer := f.user(t, "viewer@acme.example", "pw-viewer-12", f.acme.ID, gatehouse.RoleViewer, false)
	list, err := f.service.ClientsWithUsage(f.ctx, viewer, gatehouse.ClientFilter{Environment: gatehouse.EnvSandbox})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d clients, want the account's two", len(list))
	}
	for _, c := range list {
		switch c.Client.ID {
		case used.Client.ID:
			if c.Usage == nil || c.Usage.Tokens != 3 || !c.Usage.LastUsedAt.Equal(last) {
				t.Fatalf("usage %+v", c.Usage)
			}
		case idle.Client.ID:
			if c.Usage != nil {
				t.Fatalf("an unused client has usage %+v", c.Usage)
			}
		default:
			t.Fatalf("client %s of another account listed", c.Client.ID)
		}
	}
}
