package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/bench"
)

func newBenchCommand() *cobra.Command {
	var (
		server, env string
		cfg         bench.Config
		asJSON      bool
		targets     []string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test a running server's token endpoint",
		Long: `Send client-credentials token requests to a running server from many
keep-alive connections for a fixed time, then report tokens/s, latency
percentiles (p50/p90/p99/max) and errors. With --pid (the server's process id
on this machine) it also reports the server's CPU use and memory.`,
		Example: `  gatehouse client create --env sandbox --name bench --json > bench.json
  gatehouse bench --env sandbox --client-id "$(jq -r .client_id bench.json)" \
    --client-secret "$(jq -r .client_secret bench.json)" -c 32 -d 10s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd.Flags(), os.Getenv); err != nil {
				return err
			}
			cfg.TokenURL = strings.TrimSuffix(server, "/") + "/realms/" + env + "/protocol/openid-connect/token"
			for _, t := range targets {
				cfg.TokenURLs = append(cfg.TokenURLs, strings.TrimSuffix(t, "/")+"/realms/"+env+"/protocol/openid-connect/token")
			}
			res, err := bench.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(benchJSON(res))
			}
			fmt.Fprint(out, res)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&server, "server", "http://127.0.0.1:8080", "server base URL")
	fs.StringVar(&env, "env", "sandbox", "environment")
	fs.StringVar(&cfg.ClientID, "client-id", "", "client id")
	fs.StringVar(&cfg.ClientSecret, "client-secret", "", "client secret (or GATEHOUSE_CLIENT_SECRET)")
	fs.StringVar(&cfg.AuthStyle, "auth", "basic", "client authentication: basic or post")
	fs.StringVar(&cfg.Scope, "scope", "", "scope to request")
	fs.IntVarP(&cfg.Concurrency, "concurrency", "c", 16, "concurrent keep-alive connections")
	fs.DurationVarP(&cfg.Duration, "duration", "d", 10*time.Second, "how long to run")
	fs.IntVar(&cfg.ServerPID, "pid", 0, "server process id, to report its CPU and memory")
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.StringSliceVar(&targets, "targets", nil, "server base URLs to send requests to in turn (round robin over replicas), instead of --server")
	fs.IntVar(&cfg.FillClients, "fill-clients", 0, "authenticate each request as one of the first N clients of `gatehouse bench fill`, picked at random")
	fs.BoolVar(&cfg.UnknownClients, "unknown-clients", false, "name a random, nonexistent client id in each request (a flood of guesses; answers are 401)")
	cmd.AddCommand(newBenchFillCommand(), newBenchSoakCommand())
	fs.StringVar(&cfg.Mode, "mode", "token", "what to load: token (the token endpoint) or introspect (introspection of one valid token, as the client)")
	return cmd
}

func benchJSON(r *bench.Result) map[string]any {
	m := map[string]any{
		"mode": r.Mode, "concurrency": r.Concurrency, "duration_s": r.Elapsed.Seconds(),
		"requests": r.Requests, "successes": r.Successes, "errors": r.Errors, "by_target": r.ByTarget,
		"tokens_per_s": r.TokensPerSecond(),
		"p50_ms":       ms(r.P50), "p90_ms": ms(r.P90), "p99_ms": ms(r.P99), "max_ms": ms(r.Max),
	}
	if s := r.Server; s != nil {
		m["server_cpu_cores"] = s.Cores
		m["server_rss_bytes"] = s.RSSBytes
		m["server_peak_rss_bytes"] = s.PeakRSSBytes
	}
	return m
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
