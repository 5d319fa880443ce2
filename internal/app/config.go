package app

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// Config is everything `gatehouse serve` can be told. Its zero
// value, after Defaults, runs a complete server on SQLite.
type Config struct {
	Addr      string `yaml:"addr"`
	PublicURL string `yaml:"public_url"`
	DataDir   string `yaml:"data_dir"`
	Database  string `yaml:"database"`
	Redis     string `yaml:"redis"`
	LogFormat string `yaml:"log_format"` // text or json
	LogLevel  string `yaml:"log_level"`  // debug, info, warn, error
	// AdminPassword is the first operator's password; random when empty.
	AdminPassword string `yaml:"-"`
	// OperatorPasswordFile writes a random first operator password to
	// {data-dir}/operator-password (mode 0600) instead of stderr.
	OperatorPasswordFile bool `yaml:"operator_password_file"`
	// MasterKey is the base64 AES-256 master key (GATEHOUSE_MASTER_KEY;
	// several, comma-separated, during a rotation: the first is current).
	// Empty: {data-dir}/master.key, generated on first start.
	MasterKey string `yaml:"master_key"`
	// CachePoll is how often the credential cache follows the change feed.
	CachePoll time.Duration `yaml:"cache_poll"`
	// CacheMaxStaleness is how long token requests are served from a cache
	// that cannot reach the store before they get 503.
	CacheMaxStaleness time.Duration `yaml:"cache_max_staleness"`
	// ClientCacheSize is how many clients each replica keeps in memory (the
	// ones calling); others are read from the store on their first request.
	// 50,000 if 0 (docs/scaling.md).
	ClientCacheSize int `yaml:"client_cache_size"`
	// DatabaseConnectTimeout bounds opening a database connection
	// (default 5s); DatabaseStatementTimeout bounds how long the database
	// may stay silent during a statement (default 15s). Past either, the
	// call fails: a clear error at startup, 503 at run time, never a hang.
	DatabaseConnectTimeout   time.Duration `yaml:"database_connect_timeout"`
	DatabaseStatementTimeout time.Duration `yaml:"database_statement_timeout"`
	// Dialects configures the legacy token endpoints.
	Dialects DialectsConfig `yaml:"dialects"`
	// Protection configures rate limits, bans, proxies and the audit log
	// (protection.go).
	Protection ProtectionConfig `yaml:"protection"`
	// SigningKeys configures signing-key rotation (keyrotation.go).
	SigningKeys SigningKeysConfig `yaml:"signing_keys"`
	// Dashboard configures the web dashboard under /ui/ (dashboard.go).
	Dashboard DashboardConfig `yaml:"dashboard"`
	// Connections limits HTTP connections and their timeouts
	// (connections.go).
	Connections ConnectionsConfig `yaml:"connections"`
	// Metrics says where /metrics is served (metrics.go).
	Metrics MetricsConfig `yaml:"metrics"`
	// SMTP emails invitation links when its host is set (smtp.go).
	SMTP SMTPConfig `yaml:"smtp"`
	// AdminTokenLifetime is the longest an access token of the admin
	// environment lives: such tokens are issued for at most this long, and
	// the admin API refuses one issued for longer (default 15m).
	AdminTokenLifetime time.Duration `yaml:"admin_token_lifetime"`
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// DefaultAdminTokenLifetime is the longest an admin API access token lives
// unless configured: long enough for a script, short enough that a leaked
// one soon stops working.
const DefaultAdminTokenLifetime = 15 * time.Minute

// Defaults fills in every empty field.
func (c *Config) Defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./gatehouse-data"
	}
	if c.Database == "" {
		c.Database = "sqlite://" + filepath.ToSlash(filepath.Join(c.DataDir, "gatehouse.db"))
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.CachePoll == 0 {
		c.CachePoll = 250 * time.Millisecond
	}
	if c.CacheMaxStaleness == 0 {
		c.CacheMaxStaleness = 5 * time.Minute
	}
	if c.ClientCacheSize == 0 {
		c.ClientCacheSize = cache.DefaultClientCacheSize
	}
	if c.AdminTokenLifetime == 0 {
		c.AdminTokenLifetime = DefaultAdminTokenLifetime
	}
	if c.DatabaseConnectTimeout == 0 {
		c.DatabaseConnectTimeout = sqlstore.DefaultConnectTimeout
	}
	if c.DatabaseStatementTimeout == 0 {
		c.DatabaseStatementTimeout = sqlstore.DefaultStatementTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	c.Protection.defaults()
	c.Connections.defaults()
	c.SigningKeys.defaults()
	c.Dashboard.defaults()
}

// minCachePoll is the shortest interval at which the cache may poll the
// change feed.
const minCachePoll = 10 * time.Millisecond

// Validate checks the configuration after Defaults.
func (c *Config) Validate() error {
	if err := c.checkDurations(); err != nil {
		return err
	}
	if _, err := c.SMTP.mailer(); err != nil {
		return err
	}
	if c.CachePoll < minCachePoll {
		return fmt.Errorf("cache_poll %s must be at least %s", c.CachePoll, minCachePoll)
	}
	if c.ClientCacheSize < 0 {
		return fmt.Errorf("client_cache_size %d must not be negative", c.ClientCacheSize)
	}

	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("public URL %q must be an absolute http(s) URL without query", c.PublicURL)
		}
	}
	if !strings.HasPrefix(c.Database, "sqlite:") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return fmt.Errorf("database %q must start with sqlite:, postgres:// or postgresql://", redactDSN(c.Database))
	}
	if c.AdminTokenLifetime < time.Second || c.AdminTokenLifetime > 24*time.Hour {
		return fmt.Errorf("admin token lifetime %s must be between 1s and 24h", c.AdminTokenLifetime)
	}
	if c.DatabaseConnectTimeout < 0 || c.DatabaseStatementTimeout < 0 {
		return fmt.Errorf("database timeouts must be positive (connect %s, statement %s)", c.DatabaseConnectTimeout, c.DatabaseStatementTimeout)
	}
	if _, err := c.Dialects.dialects(); err != nil {
		return err
	}
	if err := c.Metrics.validate(c.Addr); err != nil {
		return err
	}
	if c.Redis != "" {
		if _, err := redis.ParseURL(c.Redis); err != nil {
			return fmt.Errorf("redis URL %s: %w", redactURL(c.Redis), err)
		}
	}
	if c.MasterKey != "" {
		if _, err := masterkey.Parse(c.MasterKey); err != nil {
			return fmt.Errorf("master key: %w", err)
		}
	}
	if err := c.Connections.validate(); err != nil {
		return err
	}
	if err := c.Protection.validate(); err != nil {
		return err
	}
	if err := c.SigningKeys.validate(); err != nil {
		return err
	}
	if err := c.Dashboard.validate(); err != nil {
		return err
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log format %q must be text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level %q must be debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// redactDSN hides a password in a database URL, for logs and errors.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "<unparseable database URL>"
	} else if u.User == nil {
		return dsn
	}
	return u.Redacted()
}
