package bench

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says what to load and how hard.
type Config struct {
	// TokenURL is the token endpoint, e.g.
	// http://127.0.0.1:8080/realms/sandbox/protocol/openid-connect/token.
	TokenURL     string
	ClientID     string
	ClientSecret string
	// AuthStyle is "basic" (client_secret_basic, the default) or "post".
	AuthStyle   string
	Scope       string
	Concurrency int
	Duration    time.Duration
	// ServerPID, when nonzero, is the server's process id on this machine;
	// its CPU time and memory are then measured too.
	ServerPID int
	// Mode is ModeToken (the default) or ModeIntrospect.
	Mode string
	// TokenURLs, when set, replaces TokenURL: requests go to each in turn
	// (round robin), as a load balancer in front of replicas would send them.
	TokenURLs []string
	// FillClients, when positive, makes each token request authenticate as
	// one of the first FillClients clients of `gatehouse bench fill`, picked
	// uniformly at random, instead of ClientID.
	FillClients int
	// UnknownClients makes each token request name a random client id that
	// does not exist (a flood of guesses); every answer is then a 401.
	UnknownClients bool
}

// Result is what a run measured.
type Result struct {
	Mode        string
	Concurrency int
	Elapsed     time.Duration
	Requests    int
	Successes   int
	// Errors counts failed requests by HTTP status ("transport" for no response).
	Errors map[string]int
	// ByTarget counts the answers of each token URL by HTTP status ("200"
	// for a success, "transport" for no response): what each replica
	// admitted (200) and refused (429, ...) under a shared limit.
	ByTarget map[string]map[string]int
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	Max      time.Duration
	// Server is set when Config.ServerPID was.
	Server *ProcessUsage
}

// TokensPerSecond is successful token responses per second.
func (r *Result) TokensPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Successes) / r.Elapsed.Seconds()
}

// Run loads the token endpoint until cfg.Duration has passed or ctx ends.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Concurrency <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("concurrency and duration must be positive")
	}
	if len(cfg.TokenURLs) == 0 {
		cfg.TokenURLs = []string{cfg.TokenURL}
	}
	cfg.TokenURL = cfg.TokenURLs[0]
	for _, u := range cfg.TokenURLs {
		if _, err := url.ParseRequestURI(u); err != nil {
			return nil, fmt.Errorf("token URL: %w", err)
		}
	}
	var creds credentials = oneClient{cfg.ClientID, cfg.ClientSecret}
	switch {
	case cfg.UnknownClients:
		creds = unknownClients{}
	case cfg.FillClients > 0:
		creds = filledClients{cfg.FillClients}
	case cfg.ClientID == "" || cfg.ClientSecret == "":
		return nil, errors.New("a client id and secret are required")
	}
	if _, one := creds.(oneClient); !one && cfg.Mode == ModeIntrospect {
		return nil, errors.New("introspection loads one client: no filled or unknown clients")
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if cfg.Scope != "" {
		form.Set("scope", cfg.Scope)
	}
	if cfg.AuthStyle != "" && cfg.AuthStyle != "basic" && cfg.AuthStyle != "post" {
		return nil, fmt.Errorf("auth style %q must be basic or post", cfg.AuthStyle)
	}
	body, authHeader := encodeRequest(form, cfg.AuthStyle, cfg.ClientID, cfg.ClientSecret)
	target := cfg.TokenURL
	transport := &http.Transport{
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		MaxConnsPerHost:     cfg.Concurrency,
		IdleConnTimeout:     time.Minute,
	}
	defer transport.CloseIdleConnections()
	httpClient := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	switch cfg.Mode {
	case "", ModeToken:
		cfg.Mode = ModeToken
	case ModeIntrospect:
		var err error
		if target, body, err = introspectTarget(ctx, httpClient, cfg, form, authHeader); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("mode %q must be %s or %s", cfg.Mode, ModeToken, ModeIntrospect)
	}

	var before *ProcessUsage
	if cfg.ServerPID != 0 {
		u, err := ReadProcessUsage(cfg.ServerPID)
		if err != nil {
			return nil, err
		}
		before = u
	}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	workers := make([]worker, cfg.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		w := &workers[i]
		w.latencies = make([]time.Duration, 0, 1<<14)
		w.errors = map[string]int{}
		w.byTarget = map[string]map[string]int{}
		wg.Add(1)
		next := func(n int) (string, string, string) { return cfg.TokenURLs[n%len(cfg.TokenURLs)], body, authHeader }
		if _, one := creds.(oneClient); !one {
			r := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			next = func(n int) (string, string, string) {
				id, secret := creds.next(r)
				b, a := encodeRequest(form, cfg.AuthStyle, id, secret)
				return cfg.TokenURLs[n%len(cfg.TokenURLs)], b, a
			}
		} else if cfg.Mode == ModeIntrospect {
			next = func(int) (string, string, string) { return target, body, authHeader }
		}
		go func() {
			defer wg.Done()
			w.run(runCtx, httpClient, next)
		}()
	}
	wg.Wait()
	res := &Result{Mode: cfg.Mode, Concurrency: cfg.Concurrency, Elapsed: time.Since(start), Errors: map[string]int{},
		ByTarget: map[string]map[string]int{}}
	var all []time.Duration
	for i := range workers {
		w := &workers[i]
		all = append(all, w.latencies...)
		res.Requests += w.requests
		res.Successes += w.successes
		for k, v := range w.errors {
			res.Errors[k] += v
		}
		for target, statuses := range w.byTarget {
			if res.ByTarget[target] == nil {
				res.ByTarget[target] = map[string]int{}
			}
			for k, v := range statuses {
				res.ByTarget[target][k] += v
			}
		}
	}
	slices.Sort(all)
	res.P50, res.P90, res.P99 = percentile(all, 50), percentile(all, 90), percentile(all, 99)
	if len(all) > 0 {
		res.Max = all[len(all)-1]
	}
	if before != nil {
		after, err := ReadProcessUsage(cfg.ServerPID)
		if err != nil {
			return nil, err
		}
		res.Server = after.Since(before, res.Elapsed)
	}
	return res, nil
}

type worker struct {
	latencies []time.Duration
	requests  int
	successes int
	errors    map[string]int
	byTarget  map[string]map[string]int
}

// count adds one answer of status from target.
func (w *worker) count(target, status string) {
	m := w.byTarget[target]
	if m == nil {
		m = map[string]int{}
		w.byTarget[target] = m
	}
	m[status]++
}

// encodeRequest returns the body and Authorization header of a token
// request with form and the client's credentials, sent as style says.
func encodeRequest(form url.Values, style, id, secret string) (body, authHeader string) {
	if style == "post" {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("client_id", id)
		f.Set("client_secret", secret)
		return f.Encode(), ""
	}
	return form.Encode(), "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// run sends requests until ctx ends; next(n) returns the URL, body and
// Authorization header of the worker's n-th request.
func (w *worker) run(ctx context.Context, c *http.Client, next func(n int) (string, string, string)) {
	for n := 0; ctx.Err() == nil; n++ {
		tokenURL, body, authHeader := next(n)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(body))
		if err != nil {
			w.errors["request"]++
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authHeader != "" {
			req.Header.Set("Authorization", authHeader)
		}
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				w.requests++
				w.errors["transport"]++
				w.count(tokenURL, "transport")
			}
			continue
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if err != nil && ctx.Err() != nil {
			continue // cut off by the end of the run
		}
		w.requests++
		w.latencies = append(w.latencies, d)
		status := strconv.Itoa(resp.StatusCode)
		if resp.StatusCode == http.StatusOK && err == nil {
			w.successes++
		} else {
			w.errors[status]++
		}
		w.count(tokenURL, status)
	}
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[i]
}

// String renders the result for humans.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "concurrency  %d\n", r.Concurrency)
	fmt.Fprintf(&b, "duration     %s\n", r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "requests     %d (%d ok)\n", r.Requests, r.Successes)
	if r.Mode == ModeIntrospect {
		fmt.Fprintf(&b, "introspections/s %.0f\n", r.TokensPerSecond())
	} else {
		fmt.Fprintf(&b, "tokens/s     %.0f\n", r.TokensPerSecond())
	}
	fmt.Fprintf(&b, "latency      p50 %s  p90 %s  p99 %s  max %s\n", us(r.P50), us(r.P90), us(r.P99), us(r.Max))
	if len(r.Errors) == 0 {
		fmt.Fprintf(&b, "errors       0\n")
	} else {
		keys := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "errors       %s: %d\n", k, r.Errors[k])
		}
	}
	if len(r.ByTarget) > 1 {
		targets := make([]string, 0, len(r.ByTarget))
		for t := range r.ByTarget {
			targets = append(targets, t)
		}
		slices.Sort(targets)
		for _, t := range targets {
			statuses := make([]string, 0, len(r.ByTarget[t]))
			for k := range r.ByTarget[t] {
				statuses = append(statuses, k)
			}
			slices.Sort(statuses)
			fmt.Fprintf(&b, "target       %s:", t)
			for _, k := range statuses {
				fmt.Fprintf(&b, " %s %d", k, r.ByTarget[t][k])
			}
			b.WriteString("\n")
		}
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(&b, "server CPU   %.2f cores (%.1f µs CPU per token)\n", s.Cores, float64(s.CPU.Microseconds())/float64(max(r.Successes, 1)))
		fmt.Fprintf(&b, "server RSS   %.1f MiB (peak %.1f MiB)\n", float64(s.RSSBytes)/(1<<20), float64(s.PeakRSSBytes)/(1<<20))
	}
	return b.String()
}

func us(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
