package sqlstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// BenchmarkClientRead reads random clients of 100,000 by id from parallel
// goroutines, as a replica does for every request of a client it has not
// cached: the cost of a cache miss in the store.
//
//	go test -run '^$' -bench BenchmarkClientRead -benchmem ./internal/sqlstore/
func BenchmarkClientRead(b *testing.B) {
	const n = 100_000
	open := map[string]func(b *testing.B) *Store{
		"sqlite": func(b *testing.B) *Store {
			return benchStore(b, "sqlite://"+filepath.Join(b.TempDir(), "gatehouse.db"))
		},
		"postgres": func(b *testing.B) *Store {
			dsn := os.Getenv(postgresEnv)
			if dsn == "" {
				b.Skipf("%s is not set; skipping PostgreSQL", postgresEnv)
			}
			return benchStore(b, benchSchema(b, dsn))
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s := open[name](b)
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			if err := s.CreateEnvironment(ctx, &gatehouse.Environment{Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256,
				Tokens: gatehouse.DefaultTokenSettings(), Limits: gatehouse.DefaultRateLimits(), CreatedAt: now, UpdatedAt: now}); err != nil {
				b.Fatal(err)
			}
			acct := &gatehouse.Account{Name: "fill"}
			if err := s.CreateAccount(ctx, acct); err != nil {
				b.Fatal(err)
			}
			ids := make([]string, n)
			hashes := make([][sha256.Size]byte, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("bench%015d", i)
				hashes[i] = gatehouse.HashSecret("secret " + ids[i])
			}
			if err := s.InsertLoadTestClients(ctx, "sandbox", acct.ID, ids, hashes, now); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(rand.Uint64(), 1))
				for pb.Next() {
					c, err := s.Client(ctx, ids[r.IntN(n)])
					if err != nil || len(c.Secrets) != 1 {
						b.Errorf("read: %v, %+v", err, c)
						return
					}
				}
			})
		})
	}
}

// benchStore opens and migrates dsn, closing it when b ends.
func benchStore(b *testing.B, dsn string) *Store {
	b.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// benchSchema creates a schema on the PostgreSQL database dsn, dropped when
// b ends, and returns a DSN whose search_path is that schema.
func benchSchema(b *testing.B, dsn string) string {
	b.Helper()
	ctx := context.Background()
	admin, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("gatehouse_bench_%016x", rand.Uint64())
	if _, err := admin.db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { admin.db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
