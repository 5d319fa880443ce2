package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// SoakConfig configures a soak: a fixed request rate with a mix of kinds,
// held for a long time, while the servers' memory, goroutines and open
// files are sampled.
type SoakConfig struct {
	// Targets are the servers' base URLs (http://127.0.0.1:8080); requests
	// go to each in turn, as a load balancer would send them.
	Targets []string
	// MetricsURLs are the /metrics endpoints to sample, one per server
	// (each target's /metrics if empty).
	MetricsURLs []string
	// Env is the environment the soak's clients live in.
	Env string
	// AdminKey authenticates the soak to the admin API: it creates its own
	// clients, and the admin writes of the mix.
	AdminKey string
	// Rate is the requests per second of all kinds together, sent on
	// schedule whatever the answers' latency (an open loop).
	Rate     float64
	Duration time.Duration
	Mix      Mix
	// Clients is how many clients the soak creates for its token, reuse,
	// introspection and revocation requests (DefaultSoakClients if zero).
	Clients int
	// MaxInFlight bounds the requests awaiting an answer, and so the
	// connections (DefaultMaxInFlight if zero). A request due while every
	// slot is taken is dropped and counted: the server has fallen behind.
	MaxInFlight int
	// Interval is the length of a report line (one minute if zero);
	// ScrapeInterval how often /metrics is sampled (5 s if zero).
	Interval       time.Duration
	ScrapeInterval time.Duration
	// Tolerance is how much a gauge may grow after warm-up
	// (DefaultTolerance if zero).
	Tolerance float64
	// OnInterval, if set, receives each interval's report when it ends.
	OnInterval func(IntervalReport)
}

// Defaults of SoakConfig.
const (
	DefaultSoakClients = 8
	DefaultMaxInFlight = 256
)

// Status classes of an answer in a report.
const (
	Class2xx       = "2xx"
	Class4xx       = "4xx"
	Class5xx       = "5xx"
	ClassOther     = "other"     // 1xx, 3xx
	ClassTransport = "transport" // no answer: refused, reset, timed out
	ClassDropped   = "dropped"   // never sent: every in-flight slot was taken
)

// Latency is a pair of percentiles.
type Latency struct {
	P50 time.Duration `json:"p50"`
	P99 time.Duration `json:"p99"`
}

// IntervalReport is what one interval of a soak saw. Requests count where
// they ended.
type IntervalReport struct {
	Start, End time.Duration // since the start of the soak
	// Counts holds requests by kind and status class.
	Counts map[string]map[string]int
	// All is the latency of every answered request, from the time it was
	// due to its last byte; ByKind the same per kind.
	All    Latency
	ByKind map[string]Latency
	// Gauges holds, per metrics URL, the last sample of each gauge taken
	// in the interval.
	Gauges map[string]map[string]float64
}

// Total returns the requests of the interval in class (all kinds).
func (r IntervalReport) Total(class string) int {
	n := 0
	for _, byClass := range r.Counts {
		n += byClass[class]
	}
	return n
}

// Sent returns the requests sent in the interval (answered or not).
func (r IntervalReport) Sent() int {
	n := 0
	for _, byClass := range r.Counts {
		for class, c := range byClass {
			if class != ClassDropped {
				n += c
			}
		}
	}
	return n
}

// SoakResult is a whole soak.
type SoakResult struct {
	Rate      float64
	Mix       Mix
	Duration  time.Duration // as configured
	Elapsed   time.Duration // as run (shorter if interrupted)
	Intervals []IntervalReport
	// Totals holds requests by kind and status class over the run.
	Totals map[string]map[string]int
	// Mismatched counts reuse answers with another token than before.
	Mismatched int
	// ScrapeErrors counts failed samples of /metrics.
	ScrapeErrors int
	// Gauges holds every sample of /metrics: metrics URL → gauge → points.
	Gauges  map[string]map[string][]Point
	Verdict Verdict
}

// soak is one running soak.
type soak struct {
	cfg    SoakConfig
	http   *http.Client
	start  time.Time
	ops    *soakOps
	slots  chan struct{}                 // one per request awaiting its answer
	gauges map[string]map[string][]Point // metrics URL → gauge → samples

	mu      sync.Mutex
	lastEnd time.Duration // end of the last interval reported
	cur     *intervalStats
	last    map[string]map[string]float64 // last gauge values of the current interval
	scrapeE int
}

// intervalStats gathers one interval's answers.
type intervalStats struct {
	counts    map[string]map[string]int
	latencies map[string][]time.Duration
}

func newIntervalStats() *intervalStats {
	return &intervalStats{counts: map[string]map[string]int{}, latencies: map[string][]time.Duration{}}
}

func (s *intervalStats) count(kind, class string) {
	if s.counts[kind] == nil {
		s.counts[kind] = map[string]int{}
	}
	s.counts[kind][class]++
}

// RunSoak runs a soak until cfg.Duration has passed or ctx ends, and
// judges it.
func RunSoak(ctx context.Context, cfg SoakConfig) (*SoakResult, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	transport := &http.Transport{
		MaxIdleConns: cfg.MaxInFlight + 8, MaxIdleConnsPerHost: cfg.MaxInFlight + 8,
		MaxConnsPerHost: cfg.MaxInFlight + 8, IdleConnTimeout: time.Minute,
	}
	defer transport.CloseIdleConnections()
	s := &soak{
		cfg:    cfg,
		http:   &http.Client{Transport: transport, Timeout: 10 * time.Second},
		gauges: map[string]map[string][]Point{},
		cur:    newIntervalStats(),
		last:   map[string]map[string]float64{},
		slots:  make(chan struct{}, cfg.MaxInFlight),
	}
	ops, err := setUpSoak(ctx, s.http, cfg)
	if err != nil {
		return nil, err
	}
	s.ops = ops
	return s.run(ctx), nil
}

func (cfg *SoakConfig) check() error {
	if len(cfg.Targets) == 0 {
		return errors.New("no target server")
	}
	for _, t := range cfg.Targets {
		if _, err := url.ParseRequestURI(t); err != nil {
			return fmt.Errorf("target %q: %w", t, err)
		}
	}
	if len(cfg.MetricsURLs) == 0 {
		for _, t := range cfg.Targets {
			cfg.MetricsURLs = append(cfg.MetricsURLs, strings.TrimSuffix(t, "/")+"/metrics")
		}
	}
	switch {
	case cfg.Rate <= 0:
		return errors.New("the rate must be positive")
	case cfg.Duration <= 0:
		return errors.New("the duration must be positive")
	case cfg.Env == "":
		return errors.New("an environment is required")
	case cfg.AdminKey == "":
		return errors.New("an admin API key is required: the soak creates its own clients")
	case len(cfg.Mix) == 0:
		return errors.New("an empty mix")
	case cfg.Clients < 0 || cfg.MaxInFlight < 0 || cfg.Interval < 0 || cfg.ScrapeInterval < 0 || cfg.Tolerance < 0:
		return errors.New("clients, in-flight limit, intervals and tolerance must not be negative")
	}
	if cfg.Clients == 0 {
		cfg.Clients = DefaultSoakClients
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Minute
	}
	if cfg.ScrapeInterval == 0 {
		cfg.ScrapeInterval = 5 * time.Second
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = DefaultTolerance
	}
	return nil
}

// job is one request the schedule calls for.
type job struct {
	kind string
	due  time.Duration // since the start
}

func (s *soak) run(ctx context.Context) *SoakResult {
	runCtx, cancel := context.WithTimeout(ctx, s.cfg.Duration)
	defer cancel()
	res := &SoakResult{Rate: s.cfg.Rate, Mix: s.cfg.Mix, Duration: s.cfg.Duration, Totals: map[string]map[string]int{}}
	s.start = time.Now()
	s.scrape(ctx) // the level before the load

	var bg sync.WaitGroup
	bgCtx, stopBg := context.WithCancel(ctx)
	bg.Go(func() { s.scrapeEvery(bgCtx) })
	intervals := make(chan IntervalReport, 16)
	var collected sync.WaitGroup
	collected.Go(func() {
		for r := range intervals {
			res.Intervals = append(res.Intervals, r)
			for kind, byClass := range r.Counts {
				if res.Totals[kind] == nil {
					res.Totals[kind] = map[string]int{}
				}
				for class, n := range byClass {
					res.Totals[kind][class] += n
				}
			}
			if s.cfg.OnInterval != nil {
				s.cfg.OnInterval(r)
			}
		}
	})
	bg.Go(func() { s.reportEvery(bgCtx, intervals) })

	var inFlight sync.WaitGroup
	s.dispatch(runCtx, func(j job) { inFlight.Go(func() { s.do(ctx, j) }) })
	inFlight.Wait()
	stopBg()
	bg.Wait()
	s.scrape(ctx) // the level at the end
	intervals <- s.roll()
	close(intervals)
	collected.Wait()

	res.Elapsed = time.Since(s.start)
	res.Mismatched = int(s.ops.mismatched.Load())
	s.mu.Lock()
	res.ScrapeErrors = s.scrapeE
	res.Gauges = s.gauges
	s.mu.Unlock()
	res.Verdict = s.judge(res)
	return res
}

// dispatch starts the schedule's requests until ctx ends: request n is
// due at n/Rate seconds. A request due while MaxInFlight requests await
// their answers is dropped and counted, never queued, so that a slow server
// cannot slow the schedule down (no coordinated omission).
func (s *soak) dispatch(ctx context.Context, start func(job)) {
	mix := newMixScheduler(s.cfg.Mix)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for n := 0; ; {
		elapsed := time.Since(s.start)
		for due := int(elapsed.Seconds()*s.cfg.Rate) + 1; n < due; n++ {
			j := job{kind: mix.next(), due: time.Duration(float64(n) / s.cfg.Rate * float64(time.Second))}
			select {
			case s.slots <- struct{}{}:
				start(j)
			default:
				s.record(j.kind, ClassDropped, 0)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// do sends one request of j's kind and records its answer.
func (s *soak) do(ctx context.Context, j job) {
	defer func() { <-s.slots }()
	class := s.ops.send(ctx, j.kind)
	if class == "" { // the run was cut short while it was in flight
		return
	}
	s.record(j.kind, class, time.Since(s.start)-j.due)
}

func (s *soak) record(kind, class string, latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur.count(kind, class)
	if class != ClassDropped && class != ClassTransport {
		s.cur.latencies[kind] = append(s.cur.latencies[kind], latency)
	}
}

// reportEvery closes an interval every cfg.Interval until ctx ends.
func (s *soak) reportEvery(ctx context.Context, out chan<- IntervalReport) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			out <- s.roll()
		}
	}
}

// roll ends the current interval and returns its report.
func (s *soak) roll() IntervalReport {
	s.mu.Lock()
	st, last, start := s.cur, s.last, s.lastEnd
	s.lastEnd = time.Since(s.start)
	s.cur, s.last = newIntervalStats(), map[string]map[string]float64{}
	r := IntervalReport{Counts: st.counts, ByKind: map[string]Latency{}, Gauges: last, Start: start, End: s.lastEnd}
	s.mu.Unlock()
	var all []time.Duration
	for kind, l := range st.latencies {
		slices.Sort(l)
		r.ByKind[kind] = Latency{P50: percentile(l, 50), P99: percentile(l, 99)}
		all = append(all, l...)
	}
	slices.Sort(all)
	r.All = Latency{P50: percentile(all, 50), P99: percentile(all, 99)}
	return r
}

// scrapeEvery samples every metrics URL every cfg.ScrapeInterval until ctx
// ends.
func (s *soak) scrapeEvery(ctx context.Context) {
	t := time.NewTicker(s.cfg.ScrapeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.scrape(ctx)
		}
	}
}

// scrape samples every metrics URL once.
func (s *soak) scrape(ctx context.Context) {
	for _, u := range s.cfg.MetricsURLs {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		g, err := scrapeGauges(sctx, s.http, u)
		cancel()
		at := time.Since(s.start)
		s.mu.Lock()
		if err != nil {
			if ctx.Err() == nil {
				s.scrapeE++
			}
			s.mu.Unlock()
			continue
		}
		if s.gauges[u] == nil {
			s.gauges[u] = map[string][]Point{}
		}
		s.last[u] = g
		for name, v := range g {
			s.gauges[u][name] = append(s.gauges[u][name], Point{At: at, Value: v})
		}
		s.mu.Unlock()
	}
}

func (s *soak) judge(res *SoakResult) Verdict {
	in := VerdictInput{Duration: res.Elapsed, Mismatched: res.Mismatched, Gauges: s.gauges}
	for _, byClass := range res.Totals {
		for class, n := range byClass {
			switch class {
			case ClassDropped:
				in.Dropped += n
				continue
			case Class5xx:
				in.Status5xx += n
			case ClassTransport:
				in.Transport += n
			}
			in.Requests += n
		}
	}
	v := Judge(in, s.cfg.Tolerance)
	if res.ScrapeErrors > 0 {
		v.Checks = append(v.Checks, Check{Name: "metrics answered", Detail: fmt.Sprintf("%d samples of /metrics failed", res.ScrapeErrors)})
		v.Pass = false
	}
	return v
}
