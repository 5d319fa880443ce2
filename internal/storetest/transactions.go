package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testTransactions(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	errLater := errors.New("a step after the change failed")

	t.Run("InTx commits a change and its audit record together", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		err := f.store.InTx(ctx, func(tx gatehouse.Store) error {
			if err := tx.CreateClient(ctx, c); err != nil {
				return err
			}
			// The transaction sees its own writes.
			if _, err := tx.Client(ctx, c.ID); err != nil {
				return err
			}
			return tx.AppendAudit(ctx, &gatehouse.AuditEvent{Time: at(0), Actor: "client:admin", Action: "client.create",
				Object: "client:" + c.ID, Outcome: gatehouse.OutcomeSuccess})
		})
		must(t, "InTx", err)
		if _, err := f.store.Client(ctx, c.ID); err != nil {
			t.Fatalf("the committed client is missing: %v", err)
		}
		events, err := f.store.AuditEvents(ctx, gatehouse.AuditFilter{Object: "client:c1"})
		must(t, "AuditEvents", err)
		if len(events) != 1 {
			t.Fatalf("audit events %d, want 1", len(events))
		}
	})

	t.Run("a failure after the change rolls back the change, its audit record and its change-feed row", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		before, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)

		err = f.store.InTx(ctx, func(tx gatehouse.Store) error {
			acct := &gatehouse.Account{Name: "Beta", CreatedAt: at(0)}
			if err := tx.CreateAccount(ctx, acct); err != nil {
				return err
			}
			c.Name = "renamed"
			if err := tx.UpdateClient(ctx, c); err != nil {
				return err
			}
			if _, err := tx.RevokeClient(ctx, c.ID, at(time.Minute)); err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, &gatehouse.AuditEvent{Time: at(0), Actor: "client:admin",
				Action: "client.update", Object: "client:c1", Outcome: gatehouse.OutcomeSuccess}); err != nil {
				return err
			}
			return errLater
		})
		if !errors.Is(err, errLater) {
			t.Fatalf("InTx returned %v, want the callback's error", err)
		}
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if got.Name != "client c1" || got.Status != gatehouse.ClientActive || got.Version != 1 {
			t.Errorf("after the rollback the client is %q, %s, version %d; want it unchanged", got.Name, got.Status, got.Version)
		}
		accounts, err := f.store.Accounts(ctx, gatehouse.AccountFilter{})
		must(t, "Accounts", err)
		if len(accounts) != 1 {
			t.Errorf("%d accounts after the rollback, want only the fixture's", len(accounts))
		}
		events, err := f.store.AuditEvents(ctx, gatehouse.AuditFilter{})
		must(t, "AuditEvents", err)
		if len(events) != 0 {
			t.Errorf("the rolled-back audit record was kept: %+v", events[0])
		}
		revoked, err := f.store.RevokedCredentials(ctx, at(0))
		must(t, "RevokedCredentials", err)
		if len(revoked) != 0 {
			t.Errorf("the rolled-back revocation was kept: %+v", revoked[0])
		}
		after, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)
		if after != before {
			t.Errorf("the change feed moved from %d to %d for a rolled-back change", before, after)
		}
	})

	t.Run("a nested InTx runs in the outer transaction", func(t *testing.T) {
		f := newFixture(t, newStore)
		err := f.store.InTx(ctx, func(tx gatehouse.Store) error {
			if err := tx.InTx(ctx, func(inner gatehouse.Store) error {
				return inner.CreateAccount(ctx, &gatehouse.Account{Name: "Inner", CreatedAt: at(0)})
			}); err != nil {
				return err
			}
			return errLater
		})
		if !errors.Is(err, errLater) {
			t.Fatalf("InTx returned %v", err)
		}
		accounts, err := f.store.Accounts(ctx, gatehouse.AccountFilter{})
		must(t, "Accounts", err)
		if len(accounts) != 1 {
			t.Errorf("the inner transaction committed on its own: %d accounts", len(accounts))
		}
	})
}

func testClientVersions(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("an update based on a read from before a revocation is a conflict and keeps the revocation", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "CreateClient", f.store.CreateClient(ctx, newClient("c1", gatehouse.EnvSandbox, f.account.ID)))
		stale, err := f.store.Client(ctx, "c1")
		must(t, "Client", err)
		if _, err := f.store.RevokeClient(ctx, "c1", at(time.Minute)); err != nil {
			t.Fatalf("RevokeClient: %v", err)
		}
		stale.Name = "renamed"
		wantCode(t, "UpdateClient of a stale read", f.store.UpdateClient(ctx, stale), gatehouse.ECONFLICT)
		got, err := f.store.Client(ctx, "c1")
		must(t, "Client", err)
		if got.Status != gatehouse.ClientRevoked || got.Name != "client c1" {
			t.Fatalf("client is %s named %q, want the revocation kept and the stale write refused", got.Status, got.Name)
		}
	})

	t.Run("an update based on a read from before a rotation is a conflict and keeps the new secret", func(t *testing.T) {
		f := newFixture(t, newStore)
		must(t, "CreateClient", f.store.CreateClient(ctx, newClient("c1", gatehouse.EnvSandbox, f.account.ID)))
		stale, err := f.store.Client(ctx, "c1")
		must(t, "Client", err)
		rotated, err := f.store.Client(ctx, "c1")
		must(t, "Client", err)
		rotated.Secrets[0].ExpiresAt = at(time.Hour)
		rotated.Secrets = append(rotated.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret("new"), CreatedAt: at(time.Minute)})
		must(t, "UpdateClient (rotation)", f.store.UpdateClient(ctx, rotated))
		stale.Scopes = []string{"ledger:write"}
		wantCode(t, "UpdateClient of a stale read", f.store.UpdateClient(ctx, stale), gatehouse.ECONFLICT)
		got, err := f.store.Client(ctx, "c1")
		must(t, "Client", err)
		if !got.VerifySecret("new", at(time.Minute)) {
			t.Fatal("the stale update removed the rotated-in secret")
		}
	})

	t.Run("every write increments the version", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		if c.Version != 1 {
			t.Fatalf("CreateClient set version %d, want 1", c.Version)
		}
		must(t, "UpdateClient", f.store.UpdateClient(ctx, c))
		if c.Version != 2 {
			t.Fatalf("UpdateClient set version %d, want 2", c.Version)
		}
		got, err := f.store.Client(ctx, "c1")
		must(t, "Client", err)
		if got.Version != 2 {
			t.Fatalf("stored version %d, want 2", got.Version)
		}
		got, err = f.store.RevokeSecret(ctx, "c1", got.Secrets[0].ID, at(time.Minute))
		must(t, "RevokeSecret", err)
		if got.Version != 3 {
			t.Fatalf("version after RevokeSecret %d, want 3", got.Version)
		}
		got, err = f.store.RevokeClient(ctx, "c1", at(time.Minute))
		must(t, "RevokeClient", err)
		if got.Version != 4 {
			t.Fatalf("version after RevokeClient %d, want 4", got.Version)
		}
	})
}
