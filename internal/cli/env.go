package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// newEnvCommand returns `gatehouse env`, which shows and changes
// environments (realms) and their token settings through the admin API.
func newEnvCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "env",
		Short: "List, show, create and change environments and their token settings",
		Long: `Manage the environments (realms) of a running Gatehouse server through its
admin API: their token settings (format, lifetime, reuse, default audience)
and whether secrets may be revealed again.`,
		Example: `  gatehouse env list
  gatehouse env show sandbox
  gatehouse env update production --format opaque --lifetime 90d --reuse
  gatehouse env create --name test-clients --signing-alg EdDSA`,
	}
	af.register(cmd)
	cmd.AddCommand(
		newEnvListCommand(&af),
		newEnvShowCommand(&af),
		newEnvCreateCommand(&af),
		newEnvUpdateCommand(&af),
	)
	return cmd
}

func newEnvListCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List environments",
		Example: `  gatehouse env list --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			envs, err := api.Environments(cmd.Context())
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), wire.EnvironmentList{Items: envs})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tALG\tFORMAT\tLIFETIME\tREUSE\tREVEAL\tISSUER")
			for _, e := range envs {
				s := e.TokenSettings
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%v\t%s\n", e.Name, e.SigningAlgorithm, s.Format,
					lifetimeText(s.LifetimeSeconds), s.Reuse, e.AllowReveal, e.Issuer)
			}
			return tw.Flush()
		},
	}
}

func newEnvShowCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "show ENV",
		Short:   "Show an environment and its token settings",
		Example: `  gatehouse env show production --json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			e, err := api.Environment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printEnvironment(cmd.OutOrStdout(), e, af.json)
		},
	}
}

// settingsFlags are the token-setting flags of env create and update.
type settingsFlags struct {
	format, lifetime, audience string
	reuse, allowReveal         bool
}

func (s *settingsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.format, "format", "", "token format: jwt or opaque")
	fs.StringVar(&s.lifetime, "lifetime", "", "token lifetime: seconds, or a duration such as 15m, 24h or 90d (at most 90d)")
	fs.BoolVar(&s.reuse, "reuse", false, "give a client its unexpired token back instead of a new one (--reuse=false to stop)")
	fs.StringVar(&s.audience, "default-audience", "", `audience of tokens whose request names none ("" for the issuer)`)
	fs.BoolVar(&s.allowReveal, "allow-reveal", false, "keep secrets encrypted so that they can be shown again after re-authentication (--allow-reveal=false to stop)")
}

// patch returns the token settings set on the command line, or nil.
func (s *settingsFlags) patch(fs *pflag.FlagSet) (*wire.TokenSettingsPatch, error) {
	var p wire.TokenSettingsPatch
	if fs.Changed("format") {
		p.Format = wire.Some(s.format)
	}
	if fs.Changed("lifetime") {
		sec, err := parseLifetime("--lifetime", s.lifetime)
		if err != nil {
			return nil, err
		}
		p.LifetimeSeconds = wire.Some(sec)
	}
	if fs.Changed("reuse") {
		p.Reuse = wire.Some(s.reuse)
	}
	if fs.Changed("default-audience") {
		if s.audience == "" {
			p.DefaultAudience = wire.Null[string]()
		} else {
			p.DefaultAudience = wire.Some(s.audience)
		}
	}
	if p == (wire.TokenSettingsPatch{}) {
		return nil, nil
	}
	return &p, nil
}

func newEnvCreateCommand(af *adminFlags) *cobra.Command {
	var (
		name, alg  string
		sf         settingsFlags
		lf         limitFlags
		production bool
	)
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create an environment with its first signing key",
		Long: `Create an environment (realm): its issuer is {public_url}/realms/NAME. Its first
signing key is created with it (ES256 unless --signing-alg says otherwise).`,
		Example: `  gatehouse env create --name test-clients
  gatehouse env create --name clients --production --signing-alg RS256 --format opaque --lifetime 24h --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := sf.patch(cmd.Flags())
			if err != nil {
				return err
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			e, err := api.CreateEnvironment(cmd.Context(), adminclient.CreateEnvironmentRequest{
				Name: name, SigningAlgorithm: alg, TokenSettings: p, AllowReveal: sf.allowReveal,
				Production: production, RateLimits: lf.patch(cmd.Flags()),
			})
			if err != nil {
				return err
			}
			if !af.json {
				fmt.Fprintf(cmd.OutOrStdout(), "Created environment %s.\n\n", e.Name)
			}
			return printEnvironment(cmd.OutOrStdout(), e, af.json)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&name, "name", "", "name of the environment: a-z, 0-9, '-' and '_' (required)")
	fs.StringVar(&alg, "signing-alg", "ES256", "signing algorithm: ES256, EdDSA or RS256")
	fs.BoolVar(&production, "production", false, "mark the environment production: its API keys get the gh_prd_ prefix whatever its name")
	sf.register(fs)
	lf.register(fs)
	cmd.MarkFlagRequired("name")
	return cmd
}

func newEnvUpdateCommand(af *adminFlags) *cobra.Command {
	var sf settingsFlags
	var lf limitFlags
	var production bool
	var alg string
	cmd := &cobra.Command{
		Use:   "update ENV",
		Short: "Change an environment's token settings, rate limits, signing algorithm or production mark",
		Long: `Change the settings of an environment; only the flags given change. The
change is in force at once. Clients may override the token settings
("gatehouse client update"). A new --signing-alg applies to the next key
("gatehouse keys rotate"); --production gives API keys made from then on the
gh_prd_ prefix (keys already issued keep working).`,
		Example: `  gatehouse env update production --format opaque --lifetime 90d --reuse
  gatehouse env update sandbox --lifetime 15m --reuse=false --default-audience https://api.example.com
  gatehouse env update sandbox --allow-reveal
  gatehouse env update clients --production --signing-alg EdDSA
  gatehouse env update sandbox --client-per-minute 600 --client-burst 20`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req adminclient.UpdateEnvironmentRequest
			p, err := sf.patch(cmd.Flags())
			if err != nil {
				return err
			}
			req.TokenSettings = p
			fs := cmd.Flags()
			if fs.Changed("allow-reveal") {
				req.AllowReveal = wire.Some(sf.allowReveal)
			}
			if fs.Changed("production") {
				req.Production = wire.Some(production)
			}
			if fs.Changed("signing-alg") {
				req.SigningAlgorithm = wire.Some(alg)
			}
			req.RateLimits = lf.patch(fs)
			if p == nil && !req.AllowReveal.Set && !req.Production.Set && !req.SigningAlgorithm.Set && req.RateLimits == nil {
				return fmt.Errorf("nothing to change: give at least one of --format, --lifetime, --reuse, --default-audience, --allow-reveal, --production, --signing-alg or a rate limit flag")
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			e, err := api.UpdateEnvironment(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			return printEnvironment(cmd.OutOrStdout(), e, af.json)
		},
	}
	sf.register(cmd.Flags())
	lf.register(cmd.Flags())
	cmd.Flags().BoolVar(&production, "production", false, "mark the environment production (gh_prd_ API keys), or not with --production=false")
	cmd.Flags().StringVar(&alg, "signing-alg", "", "signing algorithm of the next keys: ES256, EdDSA or RS256")
	return cmd
}

// limitFlags are the rate limits env create and env update can set.
type limitFlags struct {
	clientPerMinute, clientBurst, ipPerMinute, ipBurst int
}

func (l *limitFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&l.clientPerMinute, "client-per-minute", 0, "token requests per minute per client (0: no limit)")
	fs.IntVar(&l.clientBurst, "client-burst", 0, "burst above the per-client rate")
	fs.IntVar(&l.ipPerMinute, "ip-per-minute", 0, "token requests per minute per source address (0: no limit)")
	fs.IntVar(&l.ipBurst, "ip-burst", 0, "burst above the per-address rate")
}

// patch returns the limits whose flags were given, nil if none.
func (l *limitFlags) patch(fs *pflag.FlagSet) *wire.RateLimitsPatch {
	var p wire.RateLimitsPatch
	set := false
	pick := func(name string, v int) *int {
		if !fs.Changed(name) {
			return nil
		}
		set = true
		return &v
	}
	p.ClientPerMinute = pick("client-per-minute", l.clientPerMinute)
	p.ClientBurst = pick("client-burst", l.clientBurst)
	p.IPPerMinute = pick("ip-per-minute", l.ipPerMinute)
	p.IPBurst = pick("ip-burst", l.ipBurst)
	if !set {
		return nil
	}
	return &p
}

// printEnvironment writes an environment as aligned lines or JSON.
func printEnvironment(w io.Writer, e *adminclient.Environment, asJSON bool) error {
	if asJSON {
		return printJSON(w, e)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	s := e.TokenSettings
	fmt.Fprintf(tw, "name:\t%s\n", e.Name)
	fmt.Fprintf(tw, "issuer:\t%s\n", e.Issuer)
	fmt.Fprintf(tw, "signing_algorithm:\t%s\n", e.SigningAlgorithm)
	fmt.Fprintf(tw, "token_format:\t%s\n", s.Format)
	fmt.Fprintf(tw, "token_lifetime:\t%s (%d s)\n", lifetimeText(s.LifetimeSeconds), s.LifetimeSeconds)
	fmt.Fprintf(tw, "token_reuse:\t%v\n", s.Reuse)
	fmt.Fprintf(tw, "default_audience:\t%s\n", orDash(s.DefaultAudience))
	fmt.Fprintf(tw, "allow_reveal:\t%v\n", e.AllowReveal)
	fmt.Fprintf(tw, "production:\t%v (API keys %s…)\n", e.Production,
		gatehouse.APIKeyPrefixFor(&gatehouse.Environment{Name: e.Name, Production: e.Production}))
	l := e.RateLimits
	fmt.Fprintf(tw, "rate_limits:\tper client %s, per address %s\n",
		rateText(l.ClientPerMinute, l.ClientBurst), rateText(l.IPPerMinute, l.IPBurst))
	fmt.Fprintf(tw, "created_at:\t%s\n", timeText(e.CreatedAt))
	fmt.Fprintf(tw, "updated_at:\t%s\n", timeText(e.UpdatedAt))
	return tw.Flush()
}

// parseLifetime reads the token lifetime given to flag (say --lifetime):
// whole seconds ("3600"), days ("90d") or a Go duration ("15m", "24h"), as
// whole seconds between one second and the longest lifetime a token may
// have. Its errors name the flag.
func parseLifetime(flag, s string) (int64, error) {
	sec, err := parseSeconds(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q must be seconds or a duration such as 15m, 24h or 90d", flag, strings.TrimSpace(s))
	}
	if max := int64(gatehouse.MaxTokenLifetime / time.Second); sec < 1 || sec > max {
		return 0, fmt.Errorf("%s %s must be between 1s and %s", flag, strings.TrimSpace(s), lifetimeText(max))
	}
	return sec, nil
}

// parseSeconds reads whole seconds, days or a Go duration as whole seconds.
func parseSeconds(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > 1e6 {
			return 0, strconv.ErrSyntax
		}
		return n * 24 * 3600, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d%time.Second != 0 {
		return 0, strconv.ErrSyntax
	}
	return int64(d / time.Second), nil
}

// lifetimeText shows a lifetime in the largest whole unit.
func lifetimeText(sec int64) string {
	switch {
	case sec > 0 && sec%86400 == 0:
		return fmt.Sprintf("%dd", sec/86400)
	case sec > 0 && sec%3600 == 0:
		return fmt.Sprintf("%dh", sec/3600)
	case sec > 0 && sec%60 == 0:
		return fmt.Sprintf("%dm", sec/60)
	}
	return fmt.Sprintf("%ds", sec)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// rateText shows a per-minute limit with its burst.
func rateText(perMinute, burst int) string {
	if perMinute <= 0 {
		return "no limit"
	}
	return fmt.Sprintf("%d/min (burst %d)", perMinute, burst)
}
