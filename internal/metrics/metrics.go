package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcome labels of token requests that are not an OAuth error code.
const OutcomeSuccess = "success"

// Cache names and lookup results of CacheLookups.
const (
	CacheClients = "clients" // the credential cache: is the presented client id loaded?
	CacheReuse   = "reuse"   // reusable tokens served from memory
	Hit          = "hit"
	Miss         = "miss"
)

// Metrics are the server's metrics.
type Metrics struct {
	// TokenRequests counts token requests by environment, dialect and
	// outcome ("success", the OAuth error code, or the refusal's own
	// reason where it has one: "must_rotate" for an invalid_client of a
	// client that must rotate its secret).
	TokenRequests *prometheus.CounterVec
	// TokenLatency is the time the issuing core took per token request.
	TokenLatency *prometheus.HistogramVec
	// RateLimited counts requests refused by a rate limit, by environment
	// and limit ("ip", "client") or "banned".
	RateLimited *prometheus.CounterVec
	// Bans counts bans imposed, by reason.
	Bans *prometheus.CounterVec
	// AuthFailures counts failed client authentications by environment.
	AuthFailures *prometheus.CounterVec
	// CacheLookups counts cache lookups by cache and result.
	CacheLookups *prometheus.CounterVec
	// AuditDropped counts audit events dropped because the queue was full.
	AuditDropped prometheus.Counter
	// LimiterErrors counts rate limiter failures (Redis unreachable).
	LimiterErrors prometheus.Counter
	// AuditWriteDropped counts what was dropped after failed writes, by
	// kind: "events" (audit events) or "usage" (token requests not added
	// to usage counts).
	AuditWriteDropped *prometheus.CounterVec
	// SlowHashRefused counts presented secrets refused, unchecked, because
	// checking them would have cost a slow imported hash (bcrypt, PBKDF2)
	// beyond its budget, by budget ("client", "global").
	SlowHashRefused *prometheus.CounterVec
}

// New creates the metrics and registers them, with the Go runtime and
// process collectors, on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		TokenRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_token_requests_total",
			Help: "Token requests by environment, dialect and outcome (success, the OAuth error code, or must_rotate for an invalid_client of a client that must rotate its secret).",
		}, []string{"environment", "dialect", "outcome"}),
		TokenLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_token_request_duration_seconds",
			Help:    "Time the issuing core took to answer a token request.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"environment", "dialect"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_rate_limited_total",
			Help: "Token requests refused with 429, by environment and cause (ip, client, banned).",
		}, []string{"environment", "limit"}),
		Bans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_bans_total",
			Help: "IP bans imposed, by reason (brute_force, rate_limit).",
		}, []string{"reason"}),
		AuthFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_auth_failures_total",
			Help: "Failed client authentications at the token endpoint, by environment.",
		}, []string{"environment"}),
		CacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_cache_lookups_total",
			Help: "Cache lookups by cache and result (hit, miss); hit/(hit+miss) is the hit ratio.",
		}, []string{"cache", "result"}),
		AuditDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_audit_events_dropped_total",
			Help: "Audit events dropped because the write queue was full.",
		}),
		LimiterErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_rate_limiter_errors_total",
			Help: "Rate limiter or ban list calls that failed (Redis unreachable).",
		}),
		AuditWriteDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_audit_write_dropped_total",
			Help: "Audit events (kind=events) and usage counts (kind=usage, in token requests) dropped after the store kept failing to write them.",
		}, []string{"kind"}),
		SlowHashRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_slow_hash_refused_total",
			Help: "Secrets refused unchecked because their imported slow hash (bcrypt, PBKDF2) was over its budget, by budget (client, global).",
		}, []string{"budget"}),
	}
	reg.MustRegister(m.TokenRequests, m.TokenLatency, m.RateLimited, m.Bans, m.AuthFailures,
		m.CacheLookups, m.AuditDropped, m.LimiterErrors, m.AuditWriteDropped, m.SlowHashRefused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveToken counts a token request and its latency.
func (m *Metrics) ObserveToken(env, dialect, outcome string, d time.Duration) {
	m.TokenRequests.WithLabelValues(env, dialect, outcome).Inc()
	m.TokenLatency.WithLabelValues(env, dialect).Observe(d.Seconds())
}

// RegisterActiveBans registers a gauge of the bans in force, read from
// count at every scrape.
func RegisterActiveBans(reg prometheus.Registerer, count func() float64) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gatehouse_active_bans",
		Help: "IP bans in force.",
	}, count))
}

// Redis is what a server sharing its limits and bans through Redis
// reports about it.
type Redis struct {
	// LimiterCalls counts the rate limiter's round trips to Redis, by
	// result ("ok" or "error"): one per token request, plus one per
	// failed authentication or rate-limit refusal.
	LimiterCalls *prometheus.CounterVec
	// LimiterFallback is 1 while Redis is unreachable and each replica
	// enforces the limits on its own (or refuses, failing closed).
	LimiterFallback prometheus.Gauge
}

// NewRedis creates the Redis metrics and registers them on reg, with
// gatehouse_ban_list_mirrored reading mirrored at each scrape.
func NewRedis(reg prometheus.Registerer, mirrored func() bool) *Redis {
	m := &Redis{
		LimiterCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_redis_limiter_calls_total",
			Help: "Round trips of the rate limiter to Redis, by result (ok, error).",
		}, []string{"result"}),
		LimiterFallback: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatehouse_redis_limiter_fallback",
			Help: "1 while Redis is unreachable and this replica enforces rate limits on its own (or refuses, failing closed).",
		}),
	}
	reg.MustRegister(m.LimiterCalls, m.LimiterFallback, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gatehouse_ban_list_mirrored",
		Help: "1 while ban checks answer from this replica's copy of the shared ban list (kept current from Redis), 0 while they ask Redis.",
	}, func() float64 {
		if mirrored() {
			return 1
		}
		return 0
	}))
	return m
}

// Handler serves the metrics gathered from g in the Prometheus text format.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
