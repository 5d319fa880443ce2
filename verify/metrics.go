package verify

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the verifier's Prometheus metrics:
//
//	gatehouse_verify_tokens_total{outcome}                 accepted, invalid, unavailable
//	gatehouse_verify_jwks_fetches_total                    JWKS fetches (start, unknown kid, new key)
//	gatehouse_verify_introspections_total                  introspection calls (cache misses)
//	gatehouse_verify_revocation_feed_connected             1 while connected to the feed
//	gatehouse_verify_revocation_feed_staleness_seconds     0 while live, else seconds since it was lost (-1: never live)
//	gatehouse_verify_revocation_feed_events_total          events applied
//	gatehouse_verify_revocation_feed_reconnects_total      interrupted connections
type metrics struct {
	accepted, invalid, unavailable prometheus.Counter
	jwksFetches, introspections    prometheus.Counter
	feedConnected                  prometheus.Gauge
	feedEvents, feedReconnects     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, staleness func() float64) *metrics {
	outcomes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_verify_tokens_total", Help: "Tokens checked, by outcome.",
	}, []string{"outcome"})
	m := &metrics{
		accepted: outcomes.WithLabelValues("accepted"), invalid: outcomes.WithLabelValues("invalid"),
		unavailable: outcomes.WithLabelValues("unavailable"),
		jwksFetches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_verify_jwks_fetches_total", Help: "JWKS fetches."}),
		introspections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_verify_introspections_total", Help: "Introspection calls (cache misses)."}),
		feedConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatehouse_verify_revocation_feed_connected", Help: "1 while connected to the revocation feed."}),
		feedEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_verify_revocation_feed_events_total", Help: "Revocation feed events applied."}),
		feedReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_verify_revocation_feed_reconnects_total", Help: "Interrupted revocation feed connections."}),
	}
	if reg != nil {
		reg.MustRegister(outcomes, m.jwksFetches, m.introspections, m.feedConnected, m.feedEvents, m.feedReconnects,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "gatehouse_verify_revocation_feed_staleness_seconds",
				Help: "0 while the revocation feed is live, else seconds since it was lost; -1 before its first snapshot.",
			}, staleness))
	}
	return m
}

// outcome counts a refusal.
func (m *metrics) outcome(err error) {
	var e *Error
	if errors.As(err, &e) && e.Code == ErrUnavailable {
		m.unavailable.Inc()
		return
	}
	m.invalid.Inc()
}
