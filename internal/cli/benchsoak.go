package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/bench"
)

func newBenchSoakCommand() *cobra.Command {
	var (
		admin   adminFlags
		cfg     bench.SoakConfig
		targets []string
		mix     string
	)
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Hold a fixed rate of mixed requests for a long time and judge the servers' health",
		Long: `Send requests at a fixed rate (an open loop: on schedule, whatever the
answers' latency) for --duration, in the proportions of --mix:

  issue       a new token from the standard token endpoint (client_secret_basic)
  reuse       the Lemonway-style endpoint with an API key, which answers the
              client's unexpired token (the same one every time)
  introspect  RFC 7662 introspection of a recent token, as its client
  revoke      RFC 7009 revocation of a recent token, by its client
  admin       an admin API write: create a client, rotate its secret (no grace),
              revoke it, in turn

The soak first creates --clients clients of its own in --env through the admin
API (so it needs the admin key) and takes a token and a reusable token for
each. Requests go to the --targets in turn. A request due while --max-in-flight
requests await their answers is dropped and counted: the server fell behind.
Latency runs from when a request was due to its answer's last byte.

Every --scrape-interval it samples each target's /metrics (or --metrics-urls)
for process_resident_memory_bytes, go_goroutines and process_open_fds, and
every --interval it prints a line: requests by kind, answers by status class,
p50/p99, and the last RSS, goroutines and open files of each target. At the
end it prints a verdict, and exits with an error if it fails:

  no 5xx, every request answered, at most 0.1% dropped, every reuse answer the
  client's first token, and, per target, RSS, goroutines and open files flat
  after warm-up. The first third of the run is warm-up; a gauge is flat if its
  level in the last third is within --tolerance of its level in the second
  third, or the regression line over both thirds grew by less than that. The
  level of RSS is its maximum; that of goroutines and open files, which follow
  the connections in use up and down, is their minimum (with 10 of slack).
  With --json the result holds every sample, to be judged again.

Run the servers with rate limits off (--rate-limits=false), or limits above
the rate: every request comes from this one address.`,
		Example: `  gatehouse bench soak --rate 3000 --duration 10m
  gatehouse bench soak --targets http://10.0.0.1:8080,http://10.0.0.2:8080 --rate 6000 \
    --mix issue=70,reuse=10,introspect=10,revoke=5,admin=5 --json > soak.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd.Flags(), os.Getenv); err != nil {
				return err
			}
			m, err := bench.ParseMix(mix)
			if err != nil {
				return fmt.Errorf("--mix: %w", err)
			}
			cfg.Mix = m
			if cfg.AdminKey, err = admin.adminKey(); err != nil {
				return err
			}
			cfg.Targets = targets
			if len(cfg.Targets) == 0 {
				cfg.Targets = []string{admin.server}
			}
			out, progress := cmd.OutOrStdout(), cmd.OutOrStdout()
			if admin.json {
				progress = cmd.ErrOrStderr()
			}
			fmt.Fprintf(progress, "soak: %.0f requests/s for %s, mix %s, %d target(s)\n", cfg.Rate, cfg.Duration, m, len(cfg.Targets))
			fmt.Fprintln(progress, soakHeader)
			cfg.OnInterval = func(r bench.IntervalReport) { fmt.Fprintln(progress, soakLine(r)) }
			res, err := bench.RunSoak(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if admin.json {
				if err := json.NewEncoder(out).Encode(soakJSON(res)); err != nil {
					return err
				}
			} else {
				printSoakTotals(out, res)
			}
			if !res.Verdict.Pass {
				return errors.New("the soak's verdict is FAIL")
			}
			return nil
		},
	}
	admin.register(cmd)
	fs := cmd.Flags()
	fs.StringSliceVar(&targets, "targets", nil, "server base URLs to send requests to in turn (round robin over replicas), instead of --server")
	fs.StringSliceVar(&cfg.MetricsURLs, "metrics-urls", nil, "the servers' /metrics URLs, one per target, if not TARGET/metrics")
	fs.StringVar(&cfg.Env, "env", "sandbox", "environment of the soak's clients")
	fs.Float64Var(&cfg.Rate, "rate", 0, "requests per second, all kinds together (required)")
	fs.DurationVarP(&cfg.Duration, "duration", "d", 10*time.Minute, "how long to run")
	fs.StringVar(&mix, "mix", bench.DefaultMix, "share of each kind of request: issue, reuse, introspect, revoke, admin")
	fs.IntVar(&cfg.Clients, "clients", bench.DefaultSoakClients, "clients the soak creates for its token, reuse, introspection and revocation requests")
	fs.IntVar(&cfg.MaxInFlight, "max-in-flight", bench.DefaultMaxInFlight, "requests awaiting an answer at most (and so connections per target); a request due beyond it is dropped")
	fs.DurationVar(&cfg.Interval, "interval", time.Minute, "length of a report line")
	fs.DurationVar(&cfg.ScrapeInterval, "scrape-interval", 5*time.Second, "how often each target's /metrics is sampled")
	fs.Float64Var(&cfg.Tolerance, "tolerance", bench.DefaultTolerance, "how much RSS, goroutines and open files may grow after warm-up, as a share (0.05 is 5%)")
	cmd.MarkFlagRequired("rate")
	return cmd
}

const soakHeader = "      end  req/s   issue  reuse  intro revoke  admin    4xx    5xx  noans   drop      p50      p99  RSS MiB  goroutines  open files"

// soakLine renders one interval; gauges of several targets are joined by "/".
func soakLine(r bench.IntervalReport) string {
	secs := (r.End - r.Start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(r.Sent()) / secs
	}
	kind := func(k string) int {
		n := 0
		for class, c := range r.Counts[k] {
			if class != bench.ClassDropped {
				n += c
			}
		}
		return n
	}
	gauge := func(metric string, scale float64) string {
		var parts []string
		for _, u := range slices.Sorted(maps.Keys(r.Gauges)) {
			if v, ok := r.Gauges[u][metric]; ok {
				parts = append(parts, fmt.Sprintf("%.0f", v/scale))
			} else {
				parts = append(parts, "-")
			}
		}
		return strings.Join(parts, "/")
	}
	end := r.End.Round(time.Second)
	return fmt.Sprintf("%3d:%02d:%02d %6.0f %7d %6d %6d %6d %6d %6d %6d %6d %6d %8s %8s %8s %11s %11s",
		int(end.Hours()), int(end.Minutes())%60, int(end.Seconds())%60, rate,
		kind(bench.KindIssue), kind(bench.KindReuse), kind(bench.KindIntrospect), kind(bench.KindRevoke), kind(bench.KindAdmin),
		r.Total(bench.Class4xx), r.Total(bench.Class5xx), r.Total(bench.ClassTransport), r.Total(bench.ClassDropped),
		ms3(r.All.P50), ms3(r.All.P99),
		gauge(bench.MetricRSS, 1<<20), gauge(bench.MetricGoroutines, 1), gauge(bench.MetricOpenFDs, 1))
}

func ms3(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func printSoakTotals(w io.Writer, res *bench.SoakResult) {
	fmt.Fprintf(w, "\nran %s; answers by kind and status class:\n", res.Elapsed.Round(time.Second))
	for _, k := range bench.Kinds {
		c := res.Totals[k]
		if len(c) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-10s 2xx %d  4xx %d  5xx %d  no answer %d  dropped %d\n", k,
			c[bench.Class2xx], c[bench.Class4xx], c[bench.Class5xx], c[bench.ClassTransport], c[bench.ClassDropped])
	}
	worst := time.Duration(0)
	for _, r := range res.Intervals {
		worst = max(worst, r.All.P99)
	}
	fmt.Fprintf(w, "worst interval p99 %s\n", ms3(worst))
	fmt.Fprint(w, res.Verdict)
}

func soakJSON(res *bench.SoakResult) map[string]any {
	var intervals []map[string]any
	for _, r := range res.Intervals {
		byKind := map[string]any{}
		for k, l := range r.ByKind {
			byKind[k] = map[string]float64{"p50_ms": ms(l.P50), "p99_ms": ms(l.P99)}
		}
		intervals = append(intervals, map[string]any{
			"start_s": r.Start.Seconds(), "end_s": r.End.Seconds(), "counts": r.Counts,
			"p50_ms": ms(r.All.P50), "p99_ms": ms(r.All.P99), "latency_by_kind": byKind, "gauges": r.Gauges,
		})
	}
	samples := map[string]map[string][][2]float64{} // URL → gauge → [seconds, value]
	for u, byGauge := range res.Gauges {
		samples[u] = map[string][][2]float64{}
		for g, points := range byGauge {
			for _, p := range points {
				samples[u][g] = append(samples[u][g], [2]float64{p.At.Seconds(), p.Value})
			}
		}
	}
	return map[string]any{
		"samples": samples, "rate": res.Rate, "mix": res.Mix.String(), "duration_s": res.Duration.Seconds(), "elapsed_s": res.Elapsed.Seconds(),
		"intervals": intervals, "totals": res.Totals, "reuse_mismatched": res.Mismatched,
		"scrape_errors": res.ScrapeErrors, "verdict": res.Verdict,
	}
}
