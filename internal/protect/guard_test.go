package protect

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/metrics"
	"github.com/gatehouse-dev/gatehouse/internal/ratelimit"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// recorder is a Recorder that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []*gatehouse.AuditEvent
	used   map[string]int
}

func (r *recorder) Record(e *gatehouse.AuditEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) ClientUsed(id, _ string, _ int64, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.used == nil {
		r.used = map[string]int{}
	}
	r.used[id]++
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	guard *Guard
	clock *clock
	bans  *bans.Memory
	audit *recorder
	env   *cache.Environment
}

func newGuard(t *testing.T, cfg Config, limits gatehouse.RateLimits) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, audit: &recorder{}}
	f.bans = bans.NewMemory(f.clock.Now)
	if cfg.Limiter == nil {
		cfg.Limiter = ratelimit.NewMemory(f.clock.Now)
	}
	cfg.Bans, cfg.Audit, cfg.Now = f.bans, f.audit, f.clock.Now
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New(prometheus.NewRegistry())
	}
	f.guard = New(cfg)
	f.env = &cache.Environment{Environment: &gatehouse.Environment{Name: "sandbox", Limits: limits}}
	return f
}

func request(ip string) *tokens.Request {
	return &tokens.Request{
		Environment: "sandbox", GrantType: tokens.GrantClientCredentials, RemoteIP: netip.MustParseAddr(ip),
		Credentials: tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: "c1", Secret: "s3cr3t-value-never-recorded"},
	}
}

var client = &gatehouse.Client{ID: "c1", Environment: "sandbox"}

func TestExemptNetworksAreNeitherLimitedNorBanned(t *testing.T) {
	ctx := context.Background()
	f := newGuard(t, Config{
		Exempt:     []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		BruteForce: Threshold{Count: 2, Window: time.Minute},
	}, gatehouse.RateLimits{ClientPerMinute: 60, ClientBurst: 3, IPPerMinute: 60, IPBurst: 1})
	for i := range 10 {
		if err := f.guard.Admit(ctx, request("10.1.2.3"), f.env, client); err != nil {
			t.Fatalf("request %d from an exempt network: %v", i, err)
		}
		f.guard.AuthFailed(ctx, request("10.1.2.3"), f.env, client, "")
	}
	if list, _ := f.bans.Bans(ctx); len(list) != 0 {
		t.Fatalf("an exempt address was banned: %+v", list)
	}
	for i := range 4 {
		err := f.guard.AdmitClient(ctx, request("10.1.2.3"), f.env, client)
		if (err != nil) != (i == 3) {
			t.Fatalf("client request %d from an exempt network: %v; the client limit still applies", i, err)
		}
	}
}

func TestIgnoringRateLimitsEarnsABan(t *testing.T) {
	ctx := context.Background()
	f := newGuard(t, Config{Flood: Threshold{Count: 5, Window: time.Minute}, BanDuration: time.Hour},
		gatehouse.RateLimits{IPPerMinute: 60, IPBurst: 1})
	var last *tokens.Error
	for range 7 { // 1 admitted, 6 refused: the 6th refusal crosses 5
		last = f.guard.Admit(ctx, request("192.0.2.9"), f.env, client)
	}
	b, _ := f.bans.Check(ctx, netip.MustParseAddr("192.0.2.9"))
	if b == nil || b.Reason != bans.ReasonRateLimit || !b.ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("ban %+v, want a rate_limit ban of an hour", b)
	}
	if last == nil || last.Status != 429 || last.Code != tokens.ErrSlowDown {
		t.Fatalf("last answer %+v, want 429 slow_down", last)
	}
	err := f.guard.Admit(ctx, request("192.0.2.9"), f.env, client)
	if err == nil || err.RetryAfter != time.Hour {
		t.Fatalf("a banned request got %+v, want Retry-After of the ban's hour", err)
	}
}

func TestAuthFailures(t *testing.T) {
	ctx := context.Background()
	f := newGuard(t, Config{BruteForce: Threshold{Count: 2, Window: time.Minute}}, gatehouse.DefaultRateLimits())

	t.Run("a request without credentials guesses nothing", func(t *testing.T) {
		r := request("192.0.2.1")
		r.Credentials = tokens.Credentials{}
		for range 5 {
			f.guard.AuthFailed(ctx, r, f.env, nil, "")
		}
		if b, _ := f.bans.Check(ctx, r.RemoteIP); b != nil || len(f.audit.events) != 0 {
			t.Fatalf("requests without credentials were counted: ban %+v, events %d", b, len(f.audit.events))
		}
	})
	t.Run("an unknown client id is not recorded, since it may be a misplaced secret", func(t *testing.T) {
		r := request("192.0.2.2")
		r.Credentials.ClientID = "gh_sbx_secret_pasted_as_id"
		f.guard.AuthFailed(ctx, r, f.env, nil, "")
		e := f.audit.events[len(f.audit.events)-1]
		if e.Actor != "anonymous" || e.Object != "" || strings.Contains(fmt.Sprintf("%+v", *e), r.Credentials.ClientID) {
			t.Fatalf("event %+v names the unknown client id", *e)
		}
	})
	t.Run("a known client's failures are recorded against it and end in a ban", func(t *testing.T) {
		for range 3 {
			f.guard.AuthFailed(ctx, request("192.0.2.3"), f.env, client, "")
		}
		var failures, banned int
		for _, e := range f.audit.events {
			if e.SourceIP == "192.0.2.3" && e.Action == gatehouse.ActionAuthFailure && e.Object == "client:c1" {
				failures++
			}
			if e.Action == gatehouse.ActionIPBanned && e.Object == "ip:192.0.2.3" {
				banned++
			}
			if strings.Contains(fmt.Sprintf("%+v", *e), "s3cr3t") {
				t.Fatalf("an audit event holds the secret: %+v", *e)
			}
		}
		if failures != 3 || banned != 1 {
			t.Fatalf("%d failure and %d ban events, want 3 and 1", failures, banned)
		}
		if err := f.guard.Admit(ctx, request("192.0.2.3"), f.env, client); err == nil || err.Status != 429 {
			t.Fatalf("the banned address got %+v", err)
		}
	})
	t.Run("IPv6 failures add up per /64", func(t *testing.T) {
		for i := range 3 {
			f.guard.AuthFailed(ctx, request(fmt.Sprintf("2001:db8:5:6::%d", i+1)), f.env, client, "")
		}
		if err := f.guard.Admit(ctx, request("2001:db8:5:6::ffff"), f.env, client); err == nil {
			t.Fatal("three addresses of one /64 guessed past the threshold unbanned")
		}
	})
}

func TestWithoutALimiterNothingIsLimitedButUsageCounts(t *testing.T) {
	ctx := context.Background()
	f := newGuard(t, Config{}, gatehouse.RateLimits{ClientPerMinute: 1, ClientBurst: 1, IPPerMinute: 1, IPBurst: 1})
	f.guard.cfg.Limiter = nil
	for range 5 {
		r := request("192.0.2.1")
		if f.guard.Admit(ctx, r, f.env, client) != nil || f.guard.AdmitClient(ctx, r, f.env, client) != nil {
			t.Fatal("a guard without a limiter refused a request")
		}
		f.guard.AuthFailed(ctx, r, f.env, client, "")
		f.guard.Done(ctx, r, f.env, &tokens.Token{Client: client, Environment: "sandbox"}, nil, time.Millisecond)
	}
	if f.audit.used["c1"] != 5 {
		t.Fatalf("usage %v, want 5 for c1", f.audit.used)
	}
}

func TestAFailedClosedLimiterAnswers503(t *testing.T) {
	f := newGuard(t, Config{Limiter: failing{}}, gatehouse.DefaultRateLimits())
	err := f.guard.Admit(context.Background(), request("192.0.2.1"), f.env, client)
	if err == nil || err.Status != 503 || err.Code != tokens.ErrTemporarilyUnavailable {
		t.Fatalf("got %+v, want 503 temporarily_unavailable", err)
	}
}

type failing struct{}

func (failing) Allow(context.Context, ratelimit.Key, ratelimit.Limit) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, fmt.Errorf("redis down: %w", ratelimit.ErrUnavailable)
}

func (failing) AllowEach(context.Context, ...ratelimit.Check) (ratelimit.Decision, int, error) {
	return ratelimit.Decision{}, -1, fmt.Errorf("redis down: %w", ratelimit.ErrUnavailable)
}

// BenchmarkGuard is the guard's cost per successful token request (ban
// check, IP and client limits, metrics, usage count), limits on but never
// reached, from many addresses and clients at once.
func BenchmarkGuard(b *testing.B) {
	ctx := context.Background()
	limits := gatehouse.RateLimits{ClientPerMinute: 60_000_000, ClientBurst: 10_000_000, IPPerMinute: 60_000_000, IPBurst: 10_000_000}
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("limits=%v", on), func(b *testing.B) {
			var limiter ratelimit.Limiter
			if on {
				limiter = ratelimit.NewMemory(nil)
			}
			g := New(Config{Limiter: limiter, Bans: bans.NewMemory(nil), Audit: &nopRecorder{}, Metrics: metrics.New(prometheus.NewRegistry())})
			env := &cache.Environment{Environment: &gatehouse.Environment{Name: "sandbox", Limits: limits}}
			var n int64
			var mu sync.Mutex
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				mu.Lock()
				n++
				i := n
				mu.Unlock()
				c := &gatehouse.Client{ID: fmt.Sprint("client-", i), Environment: "sandbox"}
				r := request(fmt.Sprint("192.0.2.", i%250))
				tok := &tokens.Token{Client: c, Environment: "sandbox"}
				for pb.Next() {
					if g.Admit(ctx, r, env, c) != nil || g.AdmitClient(ctx, r, env, c) != nil {
						b.Fatal("refused")
					}
					g.Done(ctx, r, env, tok, nil, time.Millisecond)
				}
			})
		})
	}
}

type nopRecorder struct{}

func (*nopRecorder) Record(*gatehouse.AuditEvent)                {}
func (*nopRecorder) ClientUsed(string, string, int64, time.Time) {}

func TestMustRotateRefusalsAreRecordedWithTheirReason(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	f := newGuard(t, Config{Metrics: metrics.New(reg)}, gatehouse.DefaultRateLimits())
	r := request("192.0.2.40")
	refusal := &tokens.Error{Code: tokens.ErrInvalidClient, Description: "client authentication failed", Status: 401,
		Reason: tokens.ReasonMustRotate}
	f.guard.AuthFailed(ctx, r, f.env, client, tokens.ReasonMustRotate)
	f.guard.Done(ctx, r, f.env, nil, refusal, time.Millisecond)
	f.guard.AuthFailed(ctx, r, f.env, client, "")
	f.guard.Done(ctx, r, f.env, nil, &tokens.Error{Code: tokens.ErrInvalidClient, Status: 401}, time.Millisecond)

	if len(f.audit.events) != 2 {
		t.Fatalf("%d events, want 2", len(f.audit.events))
	}
	mustRotate, plain := f.audit.events[0], f.audit.events[1]
	if mustRotate.Action != gatehouse.ActionAuthFailure || mustRotate.Object != "client:c1" ||
		!strings.HasPrefix(mustRotate.Detail, tokens.ReasonMustRotate+":") {
		t.Fatalf("the must-rotate refusal was recorded as %+v", *mustRotate)
	}
	if strings.Contains(plain.Detail, tokens.ReasonMustRotate) {
		t.Fatalf("a plain failure was recorded as %+v", *plain)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]float64{}
	for _, mf := range families {
		if mf.GetName() != "gatehouse_token_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					outcomes[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	if outcomes[tokens.ReasonMustRotate] != 1 || outcomes[tokens.ErrInvalidClient] != 1 {
		t.Fatalf("token request outcomes %v; want one must_rotate and one invalid_client", outcomes)
	}
}
