package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// testCredentialLifecycle checks what the credential lifecycle keeps: an environment's
// allow_reveal setting, sealed copies of secrets, and the records of revoked
// clients and secrets.
func testCredentialLifecycle(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("an environment keeps its allow_reveal setting", func(t *testing.T) {
		f := newFixture(t, newStore)
		e := newEnvironment("test-clients")
		e.AllowReveal = true
		must(t, "CreateEnvironment", f.store.CreateEnvironment(ctx, e))
		got, err := f.store.Environment(ctx, e.Name)
		must(t, "Environment", err)
		if !got.AllowReveal {
			t.Fatal("AllowReveal is false after creating it true")
		}
		got.AllowReveal = false
		got.UpdatedAt = at(time.Minute)
		must(t, "UpdateEnvironment", f.store.UpdateEnvironment(ctx, got))
		again, err := f.store.Environment(ctx, e.Name)
		must(t, "Environment", err)
		if again.AllowReveal {
			t.Fatal("AllowReveal is still true after updating it false")
		}
	})

	t.Run("a sealed secret is stored and kept across updates, an unsealed one stays nil", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		sealed := []byte{0x01, 0x02, 0xfe, 0xff, 0x00, 0x7f}
		c.Secrets[0].Sealed = sealed
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if !bytes.Equal(got.Secrets[0].Sealed, sealed) {
			t.Fatalf("Sealed is %x, want %x", got.Secrets[0].Sealed, sealed)
		}
		got.Secrets = append(got.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret("second"), CreatedAt: at(time.Second)})
		must(t, "UpdateClient", f.store.UpdateClient(ctx, got))
		got, err = f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		if len(got.Secrets) != 2 {
			t.Fatalf("client has %d secrets, want 2", len(got.Secrets))
		}
		if !bytes.Equal(got.Secrets[0].Sealed, sealed) {
			t.Errorf("after an update Sealed is %x, want %x", got.Secrets[0].Sealed, sealed)
		}
		if got.Secrets[1].Sealed != nil {
			t.Errorf("a secret stored without a sealed copy has Sealed %x, want nil", got.Secrets[1].Sealed)
		}
	})

	t.Run("revoking a client marks it revoked and records it once", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		before, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)
		got, err := f.store.RevokeClient(ctx, c.ID, at(time.Hour))
		must(t, "RevokeClient", err)
		if got.Status != gatehouse.ClientRevoked || !got.UpdatedAt.Equal(at(time.Hour)) {
			t.Errorf("revoked client has status %s, updated %s; want revoked at %s", got.Status, got.UpdatedAt, at(time.Hour))
		}
		kinds := changeKinds(t, f.store, before)
		if !kinds[gatehouse.ChangeClient] || !kinds[gatehouse.ChangeRevocation] {
			t.Errorf("revoking a client appended changes %v, want a client and a revocation change", kinds)
		}
		_, err = f.store.RevokeClient(ctx, c.ID, at(2*time.Hour))
		must(t, "RevokeClient again", err)
		list, err := f.store.RevokedCredentials(ctx, at(0))
		must(t, "RevokedCredentials", err)
		want := &gatehouse.RevokedCredential{
			Kind: gatehouse.RevokedClient, ID: c.ID, Environment: gatehouse.EnvSandbox, ClientID: c.ID,
			RevokedAt: at(time.Hour), ExpiresAt: at(time.Hour + gatehouse.MaxTokenLifetime),
		}
		if len(list) != 1 {
			t.Fatalf("RevokedCredentials returned %d records, want 1", len(list))
		}
		sameFields(t, "the client's revocation record", list[0], want)
	})

	t.Run("revoking an unknown client is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		_, err := f.store.RevokeClient(ctx, "no-such-client", at(0))
		wantCode(t, "RevokeClient", err, gatehouse.ENOTFOUND)
	})

	t.Run("revoking a secret removes it, keeps the others and records it", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvProduction, f.account.ID)
		c.Secrets = append(c.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret("second"), CreatedAt: at(time.Second)})
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		old, kept := c.Secrets[0], c.Secrets[1]
		before, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)
		got, err := f.store.RevokeSecret(ctx, c.ID, old.ID, at(time.Hour))
		must(t, "RevokeSecret", err)
		if len(got.Secrets) != 1 || got.Secrets[0].ID != kept.ID {
			t.Fatalf("after revoking secret %d the client has secrets %+v, want only %d", old.ID, got.Secrets, kept.ID)
		}
		if got.Status != gatehouse.ClientActive {
			t.Errorf("revoking a secret made the client %s", got.Status)
		}
		kinds := changeKinds(t, f.store, before)
		if !kinds[gatehouse.ChangeClient] || !kinds[gatehouse.ChangeRevocation] {
			t.Errorf("revoking a secret appended changes %v, want a client and a revocation change", kinds)
		}
		list, err := f.store.RevokedCredentials(ctx, at(0))
		must(t, "RevokedCredentials", err)
		want := &gatehouse.RevokedCredential{
			Kind: gatehouse.RevokedSecret, ID: gatehouse.SecretRevocationID(old.ID), Environment: gatehouse.EnvProduction,
			ClientID: c.ID, RevokedAt: at(time.Hour), ExpiresAt: at(time.Hour + gatehouse.MaxTokenLifetime),
		}
		if len(list) != 1 {
			t.Fatalf("RevokedCredentials returned %d records, want 1", len(list))
		}
		sameFields(t, "the secret's revocation record", list[0], want)
	})

	t.Run("revoking a secret the client does not have is not found", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		other := newClient("c2", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		must(t, "CreateClient", f.store.CreateClient(ctx, other))
		cases := []struct {
			name     string
			clientID string
			secretID int64
		}{
			{"another client's secret", c.ID, other.Secrets[0].ID},
			{"a secret id that was never issued", c.ID, other.Secrets[0].ID + 1000},
			{"a secret of an unknown client", "no-such-client", c.Secrets[0].ID},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.store.RevokeSecret(ctx, tc.clientID, tc.secretID, at(time.Hour))
				wantCode(t, "RevokeSecret", err, gatehouse.ENOTFOUND)
			})
		}
		got, err := f.store.Client(ctx, other.ID)
		must(t, "Client", err)
		if len(got.Secrets) != 1 {
			t.Errorf("the other client has %d secrets after a refused revocation, want 1", len(got.Secrets))
		}
		list, err := f.store.RevokedCredentials(ctx, at(0))
		must(t, "RevokedCredentials", err)
		if len(list) != 0 {
			t.Errorf("refused revocations left %d records", len(list))
		}
	})

	t.Run("revocation records are listed until they expire and then deleted", func(t *testing.T) {
		f := newFixture(t, newStore)
		c1 := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		c2 := newClient("c2", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c1))
		must(t, "CreateClient", f.store.CreateClient(ctx, c2))
		_, err := f.store.RevokeClient(ctx, c1.ID, at(0))
		must(t, "RevokeClient", err)
		_, err = f.store.RevokeSecret(ctx, c2.ID, c2.Secrets[0].ID, at(time.Hour))
		must(t, "RevokeSecret", err)
		cases := []struct {
			name string
			now  time.Time
			want int
		}{
			{"while both can matter", at(time.Minute), 2},
			{"when the first one's tokens have all expired", at(gatehouse.MaxTokenLifetime), 1},
			{"when every token has expired", at(time.Hour + gatehouse.MaxTokenLifetime), 0},
		}
		for _, tc := range cases {
			list, err := f.store.RevokedCredentials(ctx, tc.now)
			must(t, "RevokedCredentials "+tc.name, err)
			if len(list) != tc.want {
				t.Errorf("%s: %d records, want %d", tc.name, len(list), tc.want)
			}
		}
		must(t, "DeleteExpiredCredentialRevocations",
			f.store.DeleteExpiredCredentialRevocations(ctx, at(gatehouse.MaxTokenLifetime+time.Minute)))
		list, err := f.store.RevokedCredentials(ctx, at(0))
		must(t, "RevokedCredentials", err)
		if len(list) != 1 || list[0].Kind != gatehouse.RevokedSecret {
			t.Errorf("after deleting expired records %d remain (%+v), want only the secret's", len(list), list)
		}
	})

	t.Run("an update that drops a secret records it as revoked; one that keeps it does not", func(t *testing.T) {
		f := newFixture(t, newStore)
		c := newClient("c1", gatehouse.EnvSandbox, f.account.ID)
		must(t, "CreateClient", f.store.CreateClient(ctx, c))
		got, err := f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		old := got.Secrets[0]
		// A rotation with grace keeps the old secret next to the new one.
		got.Secrets[0].ExpiresAt = at(time.Hour)
		got.Secrets = append(got.Secrets, gatehouse.Secret{Hash: gatehouse.HashSecret("second"), CreatedAt: at(time.Second)})
		got.UpdatedAt = at(time.Second)
		must(t, "UpdateClient", f.store.UpdateClient(ctx, got))
		if list, err := f.store.RevokedCredentials(ctx, at(0)); err != nil || len(list) != 0 {
			t.Fatalf("after an update that kept every secret: %d records (%v)", len(list), err)
		}
		// A rotation without grace drops it.
		got, err = f.store.Client(ctx, c.ID)
		must(t, "Client", err)
		got.Secrets = got.Secrets[1:]
		got.UpdatedAt = at(time.Minute)
		before, err := f.store.LatestChange(ctx)
		must(t, "LatestChange", err)
		must(t, "UpdateClient", f.store.UpdateClient(ctx, got))
		if kinds := changeKinds(t, f.store, before); !kinds[gatehouse.ChangeRevocation] {
			t.Errorf("dropping a secret appended changes %v, want a revocation change", kinds)
		}
		list, err := f.store.RevokedCredentials(ctx, at(0))
		must(t, "RevokedCredentials", err)
		want := &gatehouse.RevokedCredential{
			Kind: gatehouse.RevokedSecret, ID: gatehouse.SecretRevocationID(old.ID), Environment: gatehouse.EnvSandbox,
			ClientID: c.ID, RevokedAt: at(time.Minute), ExpiresAt: at(time.Minute + gatehouse.MaxTokenLifetime),
		}
		if len(list) != 1 {
			t.Fatalf("RevokedCredentials returned %d records, want 1", len(list))
		}
		sameFields(t, "the dropped secret's revocation record", list[0], want)
	})
}

// changeKinds returns the kinds of the changes after id.
func changeKinds(t *testing.T, s gatehouse.Store, after int64) map[string]bool {
	t.Helper()
	list, err := s.Changes(context.Background(), after, 100)
	must(t, "Changes", err)
	kinds := map[string]bool{}
	for _, c := range list {
		kinds[c.Kind] = true
	}
	return kinds
}
