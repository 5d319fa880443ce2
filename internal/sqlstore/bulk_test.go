package sqlstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestLoadTestClientsReadBackAsActiveClientsWithTheirSecret(t *testing.T) {
	stores := map[string]func(t *testing.T) *Store{
		"sqlite":   newSQLiteStore,
		"postgres": func(t *testing.T) *Store { return newPostgresServer(t).newStore(t) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			if err := s.CreateEnvironment(ctx, &gatehouse.Environment{Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256,
				Tokens: gatehouse.DefaultTokenSettings(), Limits: gatehouse.DefaultRateLimits(), CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			acct := &gatehouse.Account{Name: "fill"}
			if err := s.CreateAccount(ctx, acct); err != nil {
				t.Fatal(err)
			}
			const n = 1234 // more than one INSERT batch
			ids := make([]string, n)
			hashes := make([][sha256.Size]byte, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("bulk%05d", i)
				hashes[i] = gatehouse.HashSecret("secret " + ids[i])
			}
			if err := s.InsertLoadTestClients(ctx, "sandbox", acct.ID, ids, hashes, now); err != nil {
				t.Fatal(err)
			}
			count := 0
			if err := s.ClientIDs(ctx, func(string) error { count++; return nil }); err != nil || count != n {
				t.Fatalf("ClientIDs: %d ids, %v; want %d", count, err, n)
			}
			for _, i := range []int{0, 500, n - 1} {
				c, err := s.Client(ctx, ids[i])
				if err != nil {
					t.Fatal(err)
				}
				if !c.Active() || c.Environment != "sandbox" || c.AccountID != acct.ID || !c.VerifySecret("secret "+ids[i], now) || c.VerifySecret("secret "+ids[0], now) != (i == 0) {
					t.Errorf("client %s read back as %+v", ids[i], c)
				}
			}
			if err := s.InsertLoadTestClients(ctx, "sandbox", acct.ID, ids[:1], hashes[:1], now); gatehouse.ErrorCode(err) != gatehouse.ECONFLICT {
				t.Errorf("a second fill of the same id: %v, want a conflict", err)
			}
		})
	}
}
