package cli

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// serverFlags are the flags serve and migrate share. Each also reads
// GATEHOUSE_<NAME> and the YAML config file; a flag beats the environment,
// which beats the file, which beats the default.
type serverFlags struct {
	configFile string
	cfg        app.Config
}

func (f *serverFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.configFile, "config", "", "YAML config file; unknown keys are refused (keys: "+strings.Join(app.ConfigKeys(), ", ")+")")
	fs.StringVar(&f.cfg.Addr, "addr", "", "listen address (default 127.0.0.1:8080)")
	fs.StringVar(&f.cfg.PublicURL, "public-url", "", "public base URL; issuers are {public-url}/realms/{env} (default http://{addr})")
	fs.StringVar(&f.cfg.DataDir, "data-dir", "", "data directory: SQLite database, admin.key (default ./gatehouse-data)")
	fs.StringVar(&f.cfg.Database, "database", "", "sqlite://PATH (default {data-dir}/gatehouse.db) or postgres://...")
	fs.StringVar(&f.cfg.Redis, "redis", "", "Redis URL for shared rate limits (optional)")
	fs.StringVar(&f.cfg.LogFormat, "log-format", "", "log format: text or json (default text)")
	fs.StringVar(&f.cfg.LogLevel, "log-level", "", "log level: debug, info, warn, error (default info)")
	fs.StringVar(&f.cfg.Metrics.Listen, "metrics-listen", "", "serve /metrics on this address only, e.g. 127.0.0.1:9100 (default: on --addr)")
	fs.BoolVar(&f.cfg.Metrics.RequireAdminKey, "metrics-require-admin-key", false, "/metrics needs the admin API key or an admin access token")
	fs.StringVar(&f.cfg.SMTP.Host, "smtp-host", "", "SMTP server that emails invitation links (optional; its password from GATEHOUSE_SMTP_PASSWORD or the config file)")
	fs.IntVar(&f.cfg.SMTP.Port, "smtp-port", 0, "SMTP port (default 587; STARTTLS when offered)")
	fs.StringVar(&f.cfg.SMTP.From, "smtp-from", "", "sender address of invitation emails")
	fs.StringVar(&f.cfg.SMTP.Username, "smtp-username", "", "SMTP user name (empty: no authentication)")
}

// resolve returns the configuration from flags, environment and file.
func (f *serverFlags) resolve(fs *pflag.FlagSet) (app.Config, error) {
	if err := bindEnv(fs, os.Getenv); err != nil {
		return app.Config{}, err
	}
	var cfg app.Config
	if f.configFile != "" {
		b, err := os.ReadFile(f.configFile)
		if err != nil {
			return cfg, fmt.Errorf("read config file: %w", err)
		}
		if cfg, err = app.ParseConfigFile(b); err != nil {
			return cfg, fmt.Errorf("config file %s: %w", f.configFile, err)
		}
	}
	set := func(name string, dst *string, v string) {
		if fs.Changed(name) {
			*dst = v
		}
	}
	set("addr", &cfg.Addr, f.cfg.Addr)
	set("public-url", &cfg.PublicURL, f.cfg.PublicURL)
	set("data-dir", &cfg.DataDir, f.cfg.DataDir)
	set("database", &cfg.Database, f.cfg.Database)
	set("redis", &cfg.Redis, f.cfg.Redis)
	set("log-format", &cfg.LogFormat, f.cfg.LogFormat)
	set("log-level", &cfg.LogLevel, f.cfg.LogLevel)
	set("metrics-listen", &cfg.Metrics.Listen, f.cfg.Metrics.Listen)
	set("smtp-host", &cfg.SMTP.Host, f.cfg.SMTP.Host)
	set("smtp-from", &cfg.SMTP.From, f.cfg.SMTP.From)
	set("smtp-username", &cfg.SMTP.Username, f.cfg.SMTP.Username)
	if fs.Changed("smtp-port") {
		cfg.SMTP.Port = f.cfg.SMTP.Port
	}
	if v := os.Getenv("GATEHOUSE_SMTP_PASSWORD"); v != "" {
		cfg.SMTP.Password = v
	}
	if fs.Changed("metrics-require-admin-key") {
		cfg.Metrics.RequireAdminKey = f.cfg.Metrics.RequireAdminKey
	}
	resolveProtectionFlags(fs, &cfg.Protection, f.cfg.Protection)
	resolveDashboardFlags(fs, &cfg.Dashboard, f.cfg.Dashboard)
	resolveConnectionFlags(fs, &cfg.Connections, f.cfg.Connections)
	if fs.Changed("operator-password-file") {
		cfg.OperatorPasswordFile = f.cfg.OperatorPasswordFile
	}
	cfg.AdminPassword = os.Getenv("GATEHOUSE_ADMIN_PASSWORD")
	if v := os.Getenv("GATEHOUSE_MASTER_KEY"); v != "" {
		cfg.MasterKey = v
	}
	cfg.Defaults()
	return cfg, cfg.Validate()
}

func newLogger(w io.Writer, cfg app.Config) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func newServeCommand() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Gatehouse server",
		Long: `Run the Gatehouse server. With no flags it serves on 127.0.0.1:8080 with an
embedded SQLite database in ./gatehouse-data. The first start creates the
sandbox, production and admin environments, a signing key each, an operator
user and an admin API key in {data-dir}/admin.key.

Every flag can also be set as GATEHOUSE_<FLAG> (e.g. GATEHOUSE_DATABASE) or in
the YAML file named by --config.`,
		Example: `  gatehouse serve
  gatehouse serve --addr 0.0.0.0:8080 --public-url https://auth.example.com
  GATEHOUSE_DATABASE=postgres://gatehouse@db/gatehouse gatehouse serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.resolve(cmd.Flags())
			if err != nil {
				return err
			}
			if os.Getenv("GOGC") == "" {
				// The heap is small (tens of MiB) and the token path allocates
				// per request; collecting less often buys ~15% throughput
				// (docs/benchmarks.md). GOGC overrides this.
				debug.SetGCPercent(400)
			}
			m := app.New(cfg, newLogger(cmd.ErrOrStderr(), cfg))
			m.Stderr = cmd.ErrOrStderr()
			defer m.Close()
			return m.Run(cmd.Context())
		},
	}
	f.register(cmd.Flags())
	registerProtectionFlags(cmd.Flags(), &f.cfg.Protection)
	registerDashboardFlags(cmd.Flags(), &f.cfg.Dashboard)
	registerConnectionFlags(cmd.Flags(), &f.cfg.Connections)
	cmd.Flags().BoolVar(&f.cfg.OperatorPasswordFile, "operator-password-file", false,
		"on first start, write the generated operator password to {data-dir}/"+app.OperatorPasswordFileName+" (mode 0600) instead of stderr")
	return cmd
}

func newMigrateCommand() *cobra.Command {
	var f serverFlags
	var resetAdminKey bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database schema migrations (serve does this too)",
		Example: `  gatehouse migrate --database postgres://gatehouse@db/gatehouse
  gatehouse migrate --reset-admin-key   # new {data-dir}/admin.key; the old key stops working`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.resolve(cmd.Flags())
			if err != nil {
				return err
			}
			start := time.Now()
			if err := app.Migrate(cmd.Context(), cfg); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "migrations applied in %s\n", time.Since(start).Round(time.Millisecond))
			if resetAdminKey {
				path, err := app.ResetAdminKey(cmd.Context(), cfg, rand.Reader, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote a new admin API key to %s; the old one no longer works\n", path)
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&resetAdminKey, "reset-admin-key", false, "give the admin client a new secret and write it to {data-dir}/admin.key")
	return cmd
}
