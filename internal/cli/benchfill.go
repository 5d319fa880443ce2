package cli

import (
	"crypto/sha256"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bench"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

func newBenchFillCommand() *cobra.Command {
	var (
		database, env string
		clients, from int
	)
	cmd := &cobra.Command{
		Use:   "fill",
		Short: "Fill a test database with many clients for load tests",
		Long: `A load-test tool: insert --clients active clients into --env of a
database that a server has already initialised (start it once first), in bulk
transactions. Client i has the id "fill" followed by i in 16 digits and the
secret "fill-secret-" followed by its id, so that "gatehouse bench
--fill-clients N" can authenticate as any of them. The secrets are
predictable: never fill a database that serves real clients. Start (or
restart) servers after the fill: running ones do not see the new clients.`,
		Example: `  gatehouse bench fill --database sqlite:///var/lib/gatehouse/gatehouse.db --clients 1000000
  gatehouse bench --fill-clients 1000000 -c 32 -d 20s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if clients <= 0 || from < 0 {
				return fmt.Errorf("--clients must be positive and --from not negative")
			}
			ctx := cmd.Context()
			st, err := sqlstore.Open(ctx, database)
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := st.Environment(ctx, env); err != nil {
				return fmt.Errorf("environment %s (start the server once on this database first): %w", env, err)
			}
			acct := &gatehouse.Account{Name: "bench fill"}
			if err := st.CreateAccount(ctx, acct); err != nil {
				return err
			}
			start, now := time.Now(), time.Now()
			const batch = 20_000
			ids := make([]string, 0, batch)
			hashes := make([][sha256.Size]byte, 0, batch)
			for i := from; i < from+clients; i += batch {
				ids, hashes = ids[:0], hashes[:0]
				for j := i; j < min(i+batch, from+clients); j++ {
					ids = append(ids, bench.FillClientID(j))
					hashes = append(hashes, gatehouse.HashSecret(bench.FillClientSecret(j)))
				}
				if err := st.InsertLoadTestClients(ctx, env, acct.ID, ids, hashes, now); err != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "\r%d clients", i+len(ids)-from)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nfilled %d clients (fill%016d … fill%016d) into %s in %s\n",
				clients, from, from+clients-1, env, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&database, "database", "", "database URL (sqlite://PATH or postgres://…)")
	fs.StringVar(&env, "env", "sandbox", "environment of the clients")
	fs.IntVar(&clients, "clients", 1_000_000, "how many clients to insert")
	fs.IntVar(&from, "from", 0, "number of the first client (to add to an earlier fill)")
	cmd.MarkFlagRequired("database")
	return cmd
}
