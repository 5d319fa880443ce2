package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetricsLiveOnTheRegistryGiven(t *testing.T) {
	// Two sets on two registries: nothing is global, so nothing collides.
	a, b := prometheus.NewRegistry(), prometheus.NewRegistry()
	ma, mb := New(a), New(b)
	RegisterActiveBans(a, func() float64 { return 3 })
	ma.ObserveToken("sandbox", "standard", OutcomeSuccess, 2*time.Millisecond)
	ma.ObserveToken("sandbox", "standard", "slow_down", time.Millisecond)
	mb.ObserveToken("production", "lengow", OutcomeSuccess, time.Millisecond)

	rec := httptest.NewRecorder()
	Handler(a).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`gatehouse_token_requests_total{dialect="standard",environment="sandbox",outcome="success"} 1`,
		`gatehouse_token_requests_total{dialect="standard",environment="sandbox",outcome="slow_down"} 1`,
		`gatehouse_token_request_duration_seconds_count{dialect="standard",environment="sandbox"} 2`,
		`gatehouse_active_bans 3`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "production") {
		t.Error("registry a shows an observation made on registry b")
	}
}
