package cli

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/gateway"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// gatewayConfig is the gateway's configuration: the YAML file's keys, which
// flags and GATEHOUSE_* variables override.
type gatewayConfig struct {
	Upstream         string        `yaml:"upstream"`
	Issuer           string        `yaml:"issuer"`
	Audience         string        `yaml:"audience"`
	Listen           string        `yaml:"listen"`
	RequireScopes    []string      `yaml:"require_scopes"`
	ClientID         string        `yaml:"client_id"`
	ClientSecret     string        `yaml:"-"` // never in the file: use client_secret_file
	ClientSecretFile string        `yaml:"client_secret_file"`
	RawAuthorization bool          `yaml:"raw_authorization"`
	MaxStaleness     time.Duration `yaml:"max_staleness"`
	WhenStale        string        `yaml:"when_stale"`
	ShutdownTimeout  time.Duration `yaml:"shutdown_timeout"`
	LogFormat        string        `yaml:"log_format"`
	LogLevel         string        `yaml:"log_level"`
	gateway.Rules    `yaml:",inline"`
}

type gatewayFlags struct {
	configFile string
	cfg        gatewayConfig
}

func (f *gatewayFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.configFile, "config", "", "YAML file: the flags' values (upstream, issuer, audience, listen, require_scopes, client_id, client_secret_file, raw_authorization, max_staleness, when_stale, shutdown_timeout, log_format, log_level) and per-path rules")
	fs.StringVar(&f.cfg.Upstream, "upstream", "", "URL of the API to protect (required)")
	fs.StringVar(&f.cfg.Issuer, "issuer", "", "issuer URL of the environment, e.g. https://auth.example.com/realms/production (required)")
	fs.StringVar(&f.cfg.Audience, "audience", "", "audience tokens must carry (default: the issuer)")
	fs.StringVar(&f.cfg.Listen, "listen", "", "listen address (default 127.0.0.1:8081)")
	fs.StringSliceVar(&f.cfg.RequireScopes, "require-scope", nil, "scope every request needs; repeat or separate with commas")
	fs.StringVar(&f.cfg.ClientID, "client-id", "", "client of the environment the gateway authenticates as, for the revocation feed and introspection")
	fs.StringVar(&f.cfg.ClientSecret, "client-secret", "", "its secret (better: GATEHOUSE_CLIENT_SECRET or --client-secret-file)")
	fs.StringVar(&f.cfg.ClientSecretFile, "client-secret-file", "", "file holding the client secret")
	fs.BoolVar(&f.cfg.RawAuthorization, "raw-authorization", false, "also accept 'Authorization: <token>' without Bearer (Lengow-style clients)")
	fs.DurationVar(&f.cfg.MaxStaleness, "max-staleness", 0, "how long the revocation feed may be silent before --when-stale applies (default 1m)")
	fs.StringVar(&f.cfg.WhenStale, "when-stale", "", "accept, refuse or introspect while the feed is stale (default accept)")
	fs.StringVar(&f.cfg.LogFormat, "log-format", "", "log format: text or json (default text)")
	fs.StringVar(&f.cfg.LogLevel, "log-level", "", "log level: debug, info, warn, error (default info)")
	fs.DurationVar(&f.cfg.ShutdownTimeout, "shutdown-timeout", 0, "how long requests in flight may finish after SIGTERM (default 10s)")
}

// resolve merges file, environment and flags (a flag beats the
// environment, which beats the file) and checks the result.
func (f *gatewayFlags) resolve(fs *pflag.FlagSet) (gatewayConfig, error) {
	if err := bindEnv(fs, os.Getenv); err != nil {
		return gatewayConfig{}, err
	}
	var cfg gatewayConfig
	if f.configFile != "" {
		b, err := os.ReadFile(f.configFile)
		if err != nil {
			return cfg, fmt.Errorf("read config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config file %s: %w", f.configFile, err)
		}
	}
	setStr := func(name string, dst *string, v string) {
		if fs.Changed(name) {
			*dst = v
		}
	}
	setStr("upstream", &cfg.Upstream, f.cfg.Upstream)
	setStr("issuer", &cfg.Issuer, f.cfg.Issuer)
	setStr("audience", &cfg.Audience, f.cfg.Audience)
	setStr("listen", &cfg.Listen, f.cfg.Listen)
	setStr("client-id", &cfg.ClientID, f.cfg.ClientID)
	setStr("client-secret", &cfg.ClientSecret, f.cfg.ClientSecret)
	setStr("client-secret-file", &cfg.ClientSecretFile, f.cfg.ClientSecretFile)
	setStr("when-stale", &cfg.WhenStale, f.cfg.WhenStale)
	setStr("log-format", &cfg.LogFormat, f.cfg.LogFormat)
	setStr("log-level", &cfg.LogLevel, f.cfg.LogLevel)
	if fs.Changed("require-scope") {
		cfg.RequireScopes = f.cfg.RequireScopes
	}
	if fs.Changed("raw-authorization") {
		cfg.RawAuthorization = f.cfg.RawAuthorization
	}
	if fs.Changed("max-staleness") {
		cfg.MaxStaleness = f.cfg.MaxStaleness
	}
	if fs.Changed("shutdown-timeout") {
		cfg.ShutdownTimeout = f.cfg.ShutdownTimeout
	}
	return cfg, cfg.complete()
}

// complete applies defaults, reads the secret file and checks the values.
func (c *gatewayConfig) complete() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8081"
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.Audience == "" {
		c.Audience = c.Issuer
	}
	for name, v := range map[string]string{"--upstream": c.Upstream, "--issuer": c.Issuer} {
		u, err := url.Parse(v)
		if v == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s must be an absolute http(s) URL", name)
		}
	}
	if c.ClientSecret == "" && c.ClientSecretFile != "" {
		b, err := os.ReadFile(c.ClientSecretFile)
		if err != nil {
			return fmt.Errorf("read client secret file: %w", err)
		}
		c.ClientSecret = strings.TrimSpace(string(b))
	}
	if (c.ClientID == "") != (c.ClientSecret == "") {
		return fmt.Errorf("give both --client-id and a client secret, or neither")
	}
	switch c.WhenStale {
	case "", "accept", "refuse", "introspect":
	default:
		return fmt.Errorf("--when-stale must be accept, refuse or introspect, not %q", c.WhenStale)
	}
	return nil
}

// verifyConfig is the verifier's configuration.
func (c *gatewayConfig) verifyConfig(reg prometheus.Registerer) verify.Config {
	policy := map[string]verify.StalePolicy{"": verify.AcceptWhenStale, "accept": verify.AcceptWhenStale,
		"refuse": verify.RefuseWhenStale, "introspect": verify.IntrospectWhenStale}[c.WhenStale]
	return verify.Config{
		Issuer: c.Issuer, Audience: c.Audience, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		FollowRevocations: c.ClientID != "", MaxStaleness: c.MaxStaleness, WhenStale: policy,
		AllowRawAuthorization: c.RawAuthorization, Registerer: reg,
	}
}

func newGatewayCommand() *cobra.Command {
	var f gatewayFlags
	cmd := &cobra.Command{
		Use:   "gateway --upstream URL --issuer URL",
		Short: "Run a reverse proxy that admits only requests with a valid token",
		Long: `Run a reverse proxy in front of an API. A request reaches the upstream only
with a valid access token of the issuer (JWT or opaque) that carries every
--require-scope and the scopes of the per-path rule it matches. Any
X-Gatehouse-* header the caller sent is dropped; the upstream receives
X-Gatehouse-Client-Id, X-Gatehouse-Account-Id and X-Gatehouse-Scope.

With --client-id and a secret (a client of the issuer's environment) the
gateway follows the server's revocation feed, so a revoked client, secret or
token is refused within a second, and checks opaque tokens by introspection.

The gateway serves /healthz and /metrics itself and stops gracefully on
SIGTERM. Every flag can also be set as GATEHOUSE_<FLAG> (for instance
GATEHOUSE_CLIENT_SECRET) or in the --config file, which also holds rules:

  rules:
    - path: /ledger
      scopes: [ledger:read]
      methods: [GET, HEAD]
    - path: /ledger/transfers
      scopes: [ledger:write]
  deny_unlisted: true   # 404 for paths no rule matches`,
		Example: `  gatehouse gateway --upstream http://127.0.0.1:9000 --issuer https://auth.example.com/realms/production --require-scope ledger:read
  GATEHOUSE_CLIENT_SECRET=... gatehouse gateway --config gateway.yaml --client-id 3fJ9kQ2xVb7LmN0pR5sT`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.resolve(cmd.Flags())
			if err != nil {
				return err
			}
			return runGateway(cmd, cfg)
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// runGateway serves the gateway until the command's context ends.
func runGateway(cmd *cobra.Command, cfg gatewayConfig) error {
	ctx := cmd.Context()
	logger := newLogger(cmd.ErrOrStderr(), app.Config{LogFormat: cfg.LogFormat, LogLevel: cfg.LogLevel})
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	vcfg := cfg.verifyConfig(reg)
	vcfg.Logger = logger
	if !vcfg.FollowRevocations {
		logger.Warn("no --client-id: the gateway does not follow the revocation feed and refuses opaque tokens; revoked tokens stay valid until they expire")
	}
	v, err := verify.New(ctx, vcfg)
	if err != nil {
		return err
	}
	defer v.Close()
	upstream, _ := url.Parse(cfg.Upstream) // checked by complete
	g, err := gateway.New(gateway.Config{
		Upstream: upstream, Verifier: v, RequireScopes: cfg.RequireScopes, Rules: cfg.Rules,
		Registry: reg, Logger: logger,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	logger.Info("gateway is serving", "addr", ln.Addr().String(), "upstream", cfg.Upstream, "issuer", cfg.Issuer)
	err = gateway.Serve(ctx, ln, g, cfg.ShutdownTimeout)
	logger.Info("gateway stopped")
	return err
}
