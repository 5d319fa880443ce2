package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The process gauges a soak follows on every target's /metrics (the
// Prometheus Go and process collectors, which `gatehouse serve` registers).
const (
	MetricRSS        = "process_resident_memory_bytes"
	MetricGoroutines = "go_goroutines"
	MetricOpenFDs    = "process_open_fds"
)

var soakGauges = []string{MetricRSS, MetricGoroutines, MetricOpenFDs}

var metricLabel = map[string]string{
	MetricRSS:        "RSS",
	MetricGoroutines: "goroutines",
	MetricOpenFDs:    "open files",
}

// formatGauge renders a gauge's value: RSS in MiB, the others as counts.
func formatGauge(metric string, v float64) string {
	if metric == MetricRSS {
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	}
	return fmt.Sprintf("%.0f", v)
}

// parseGauges reads the named unlabelled samples from a Prometheus text
// exposition. A name it does not find is missing from the answer.
func parseGauges(r io.Reader, names []string) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok || !slices.Contains(names, name) {
			continue
		}
		value, _, _ := strings.Cut(strings.TrimSpace(rest), " ") // an optional timestamp follows
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("metric %s: value %q: %w", name, value, err)
		}
		out[name] = v
	}
	return out, sc.Err()
}

// scrapeGauges fetches url (a /metrics endpoint) and returns the soak's
// gauges from it; every one must be there.
func scrapeGauges(ctx context.Context, c *http.Client, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	g, err := parseGauges(io.LimitReader(resp.Body, 16<<20), soakGauges)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	for _, name := range soakGauges {
		if _, ok := g[name]; !ok {
			return nil, fmt.Errorf("GET %s: no %s (the server must register the Go and process collectors)", url, name)
		}
	}
	return g, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
