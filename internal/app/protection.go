package app

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/audit"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/httpapi"
	"github.com/gatehouse-dev/gatehouse/internal/metrics"
	"github.com/gatehouse-dev/gatehouse/internal/protect"
	"github.com/gatehouse-dev/gatehouse/internal/ratelimit"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// ProtectionConfig configures the protection of the token endpoint
// (docs/protection.md) in the config file:
//
//	protection:
//	  rate_limits: true              # default true; per-environment limits are admin API settings
//	  trusted_proxies: [10.0.0.0/8]  # peers whose forwarding header names the client
//	  proxy_header: x-forwarded-for  # or forwarded (RFC 7239)
//	  exempt_networks: [192.0.2.0/24]
//	  brute_force: {count: 20, window: 10m}
//	  flood: {count: 100, window: 1m}  # rate-limit refusals that earn a ban
//	  ban_duration: 15m
//	  fail_closed: false             # Redis down: true refuses requests, false limits per replica
//	  redis_prefix: "gatehouse:"
//	  audit_retention: 2160h         # 90 days; 0 keeps events forever
//	  usage_interval: 10s            # how often usage counters are written
//	  slow_hash_per_client: {count: 5, window: 1s}  # bcrypt/PBKDF2 checks of imported secrets; count -1: no limit
//	  slow_hash_global: {count: 20, window: 1s}
type ProtectionConfig struct {
	RateLimits     *bool             `yaml:"rate_limits"`
	TrustedProxies []string          `yaml:"trusted_proxies"`
	ProxyHeader    string            `yaml:"proxy_header"`
	ExemptNetworks []string          `yaml:"exempt_networks"`
	BruteForce     protect.Threshold `yaml:"brute_force"`
	Flood          protect.Threshold `yaml:"flood"`
	BanDuration    time.Duration     `yaml:"ban_duration"`
	FailClosed     bool              `yaml:"fail_closed"`
	RedisPrefix    string            `yaml:"redis_prefix"`
	AuditRetention *time.Duration    `yaml:"audit_retention"`
	// UsageInterval is how often per-client usage counters are written
	// (default 10s).
	UsageInterval time.Duration `yaml:"usage_interval"`
	// SlowHashPerClient and SlowHashGlobal bound, per replica, the slow
	// hashes (bcrypt, PBKDF2) computed to check presented secrets against
	// imported hashes (protect.SlowHashBudget); past them a secret is
	// refused as wrong, unchecked. A count of -1 switches one off.
	SlowHashPerClient protect.Threshold `yaml:"slow_hash_per_client"`
	SlowHashGlobal    protect.Threshold `yaml:"slow_hash_global"`
}

// Threshold is a count of events within a window (protect.Threshold).
type Threshold = protect.Threshold

// DefaultAuditRetention is how long audit events are kept unless
// configured.
const DefaultAuditRetention = 90 * 24 * time.Hour

// defaults fills in every empty field.
func (c *ProtectionConfig) defaults() {
	if c.RateLimits == nil {
		on := true
		c.RateLimits = &on
	}
	if c.ProxyHeader == "" {
		c.ProxyHeader = "x-forwarded-for"
	}
	// Each half of a threshold takes its default alone, so that setting
	// only the count (or only the window) keeps the other's default.
	c.BruteForce = withDefaults(c.BruteForce, protect.DefaultBruteForce)
	c.Flood = withDefaults(c.Flood, protect.DefaultFlood)
	c.SlowHashPerClient = withDefaults(c.SlowHashPerClient, protect.DefaultSlowHashPerClient)
	c.SlowHashGlobal = withDefaults(c.SlowHashGlobal, protect.DefaultSlowHashGlobal)
	if c.BanDuration == 0 {
		c.BanDuration = protect.DefaultBanDuration
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = "gatehouse:"
	}
	if c.AuditRetention == nil {
		r := DefaultAuditRetention
		c.AuditRetention = &r
	}
}

// withDefaults returns t with a zero count or window replaced by d's.
func withDefaults(t, d protect.Threshold) protect.Threshold {
	if t.Count == 0 {
		t.Count = d.Count
	}
	if t.Window == 0 {
		t.Window = d.Window
	}
	return t
}

// validate checks the configuration after defaults.
func (c *ProtectionConfig) validate() error {
	if _, err := parseNetworks("trusted proxy", c.TrustedProxies); err != nil {
		return err
	}
	if _, err := parseNetworks("exempt network", c.ExemptNetworks); err != nil {
		return err
	}
	if _, err := c.proxyHeader(); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		t    protect.Threshold
	}{{"brute_force", c.BruteForce}, {"flood", c.Flood}} {
		if t.t.Count < 0 || t.t.Window < 0 {
			return fmt.Errorf("protection %s: count %d and window %s must be positive (rate_limits: false switches protection off)", t.name, t.t.Count, t.t.Window)
		}
	}
	for _, t := range []struct {
		name string
		t    protect.Threshold
	}{{"slow_hash_per_client", c.SlowHashPerClient}, {"slow_hash_global", c.SlowHashGlobal}} {
		if t.t.Count < -1 || t.t.Window < 0 {
			return fmt.Errorf("protection %s: count %d must be positive (or -1 for no limit) and window %s positive", t.name, t.t.Count, t.t.Window)
		}
	}
	if c.UsageInterval < 0 {
		return fmt.Errorf("protection usage_interval %s must be positive", c.UsageInterval)
	}
	if c.BanDuration < 0 {
		return fmt.Errorf("protection ban_duration %s must be positive", c.BanDuration)
	}
	if c.AuditRetention != nil && *c.AuditRetention < 0 {
		return fmt.Errorf("protection audit_retention %s must be 0 (forever) or positive", *c.AuditRetention)
	}
	return nil
}

func (c *ProtectionConfig) proxyHeader() (string, error) {
	switch strings.ToLower(c.ProxyHeader) {
	case "", "x-forwarded-for":
		return httpapi.HeaderXForwardedFor, nil
	case "forwarded":
		return httpapi.HeaderForwarded, nil
	}
	return "", fmt.Errorf("protection proxy_header %q must be x-forwarded-for or forwarded", c.ProxyHeader)
}

// parseNetworks parses CIDRs; a bare address is a network of one.
func parseNetworks(what string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%s %q is neither a CIDR nor an IP address", what, s)
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// protection is what guards the token endpoint, built by openProtection.
type protection struct {
	guard    tokens.Guard
	slowHash *protect.SlowHashBudget
	recorder *audit.Recorder
	bans     bans.List
	durable  *bans.Durable // nil without rate limits
	shared   *bans.Redis   // nil without Redis
	proxies  httpapi.Proxies
	metrics  http.Handler
	registry prometheus.Registerer // where metrics of other parts register
	redis    *redis.Client
	wg       sync.WaitGroup
}

// openProtection builds the guard, ban list, audit recorder and metrics.
func (m *Main) openProtection() (*protection, error) {
	c := m.Config.Protection
	c.defaults()
	trusted, err := parseNetworks("trusted proxy", c.TrustedProxies)
	if err != nil {
		return nil, err
	}
	exempt, err := parseNetworks("exempt network", c.ExemptNetworks)
	if err != nil {
		return nil, err
	}
	header, err := c.proxyHeader()
	if err != nil {
		return nil, err
	}
	p := &protection{proxies: httpapi.Proxies{Trusted: trusted, Header: header}}

	reg := prometheus.NewRegistry()
	met := metrics.New(reg)
	p.metrics, p.registry = metrics.Handler(reg), reg
	p.recorder = audit.New(audit.Config{
		Store: m.store, Retention: *c.AuditRetention, UsageInterval: c.UsageInterval, Now: m.Now, Logger: m.Logger,
		OnDrop:      met.AuditDropped.Inc,
		OnWriteDrop: func(kind string, n int) { met.AuditWriteDropped.WithLabelValues(kind).Add(float64(n)) },
	})

	var limiter ratelimit.Limiter
	together := false
	if *c.RateLimits {
		if m.Config.Redis != "" {
			opts, err := redis.ParseURL(m.Config.Redis)
			if err != nil {
				return nil, fmt.Errorf("redis URL %s: %w", redactURL(m.Config.Redis), err)
			}
			// Short timeouts: a token request must not wait long for a
			// Redis that is gone; the limiter falls back instead.
			opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
			opts.MaxRetries = 1
			p.redis = redis.NewClient(opts)
			p.shared = bans.NewRedis(bans.RedisConfig{Client: p.redis, Prefix: c.RedisPrefix + "ban:", Now: m.Now, Logger: m.Logger})
			rm := metrics.NewRedis(reg, p.shared.Mirrored)
			callsOK, callsFailed := rm.LimiterCalls.WithLabelValues("ok"), rm.LimiterCalls.WithLabelValues("error")
			limiter = ratelimit.NewRedis(ratelimit.RedisConfig{
				Client: p.redis, Prefix: c.RedisPrefix + "rl:", FailClosed: c.FailClosed,
				Fallback: ratelimit.NewMemory(m.Now), Now: m.Now, Logger: m.Logger,
				OnCall: func(failed bool) {
					if failed {
						callsFailed.Inc()
					} else {
						callsOK.Inc()
					}
				},
				OnFallback: func(down bool) {
					if down {
						rm.LimiterFallback.Set(1)
					} else {
						rm.LimiterFallback.Set(0)
					}
				},
			})
			p.bans = p.shared
			// A limiter call is a round trip: the per-IP and per-client
			// limits of a token request go in one.
			together = true
		} else {
			limiter = ratelimit.NewMemory(m.Now)
			p.bans = bans.NewMemory(m.Now)
		}
		// The database is the record of bans; Redis or memory the fast
		// copy that checks read, re-filled from the record.
		p.durable = bans.NewDurable(bans.DurableConfig{Fast: p.bans, Store: banRecord{m.store}, Now: m.Now, Logger: m.Logger})
		p.bans = p.durable
		lctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := p.durable.Load(lctx)
		cancel()
		if err != nil {
			m.Logger.Warn("could not load the recorded bans; they are loaded once the database and Redis answer", "err", err)
		}
		list := p.bans
		metrics.RegisterActiveBans(reg, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			active, err := list.Bans(ctx)
			if err != nil {
				return -1
			}
			return float64(len(active))
		})
	}
	p.guard = protect.New(protect.Config{
		Limiter: limiter, Bans: p.bans, Audit: p.recorder, Metrics: met,
		BruteForce: c.BruteForce, Flood: c.Flood, BanDuration: c.BanDuration, Exempt: exempt,
		LimitsTogether: together, Now: m.Now, Logger: m.Logger,
	})
	p.slowHash = protect.NewSlowHashBudget(c.SlowHashPerClient, c.SlowHashGlobal, m.Now, met, m.Logger)
	return p, nil
}

// start runs the audit recorder until ctx ends.
func (p *protection) start(ctx context.Context) {
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.recorder.Run(ctx) }()
	if p.durable != nil {
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.durable.Run(ctx) }()
	}
	if p.shared != nil {
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.shared.Run(ctx) }()
	}
}

// banRecord is the database as the record of bans (bans.Store).
type banRecord struct{ store *sqlstore.Store }

func (r banRecord) SaveBan(ctx context.Context, b bans.Ban) error {
	return r.store.SaveBan(ctx, &gatehouse.IPBan{Subject: b.Subject, Reason: b.Reason, Environment: b.Environment,
		CreatedAt: b.CreatedAt, ExpiresAt: b.ExpiresAt})
}

func (r banRecord) DeleteBan(ctx context.Context, subject string) (bool, error) {
	return r.store.DeleteBan(ctx, subject)
}

func (r banRecord) ActiveBans(ctx context.Context, now time.Time) ([]bans.Ban, error) {
	list, err := r.store.ActiveBans(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]bans.Ban, len(list))
	for i, b := range list {
		out[i] = bans.Ban{Subject: b.Subject, Reason: b.Reason, Environment: b.Environment, CreatedAt: b.CreatedAt, ExpiresAt: b.ExpiresAt}
	}
	return out, nil
}

// close waits for the recorder's last writes and closes Redis.
func (p *protection) close() error {
	p.wg.Wait()
	if p.redis != nil {
		return p.redis.Close()
	}
	return nil
}

// redactURL hides a password in a URL, for errors.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparseable URL>"
	}
	return u.Redacted()
}
