package protect

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/ratelimit"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// countingLimiter counts the calls made to a limiter: a Redis limiter
// makes one round trip per call.
type countingLimiter struct {
	ratelimit.Limiter
	calls atomic.Int64
}

func (c *countingLimiter) Allow(ctx context.Context, k ratelimit.Key, l ratelimit.Limit) (ratelimit.Decision, error) {
	c.calls.Add(1)
	return c.Limiter.Allow(ctx, k, l)
}

func (c *countingLimiter) AllowEach(ctx context.Context, checks ...ratelimit.Check) (ratelimit.Decision, int, error) {
	c.calls.Add(1)
	return c.Limiter.AllowEach(ctx, checks...)
}

// outcome is how a token request ends after the guard's Admit, as the
// issuer sees it.
type outcome int

const (
	authenticated outcome = iota
	wrongSecret
	outsideAllowlist
)

// tokenRequest runs a token request through the guard in the order the
// issuer calls it, and returns the answer.
func tokenRequest(f *fixture, ip string, end outcome) *tokens.Error {
	ctx := context.Background()
	r := request(ip)
	oerr := f.guard.Admit(ctx, r, f.env, client)
	if oerr == nil {
		switch end {
		case authenticated:
			oerr = f.guard.AdmitClient(ctx, r, f.env, client)
		case wrongSecret:
			if oerr = f.guard.AuthFailed(ctx, r, f.env, client, ""); oerr == nil {
				oerr = tokens.NewError(tokens.ErrInvalidClient, "wrong secret")
			}
		case outsideAllowlist:
			if oerr = f.guard.AllowlistDenied(ctx, r, f.env, client); oerr == nil {
				oerr = tokens.NewError(tokens.ErrInvalidClient, "outside the allowlist")
			}
		}
	}
	f.guard.Done(ctx, r, f.env, nil, oerr, 0)
	return oerr
}

// TestLimitsTogetherAnswerAndCountAsLimitsApart runs the same requests
// through a guard that applies the per-IP limit before authentication and
// one that applies it with the client's limit, and expects the same
// answers, audit records, bans and counts.
func TestLimitsTogetherAnswerAndCountAsLimitsApart(t *testing.T) {
	limits := gatehouse.RateLimits{ClientPerMinute: 1, ClientBurst: 3, IPPerMinute: 1, IPBurst: 2}
	type step struct {
		ip   string
		end  outcome
		want string // "" for admitted, else the OAuth error code
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"a source over its limit gets 429 with valid credentials, and the refused request uses none of the client's limit", []step{
			{"192.0.2.1", authenticated, ""},
			{"192.0.2.1", authenticated, ""},
			{"192.0.2.1", authenticated, "slow_down"},
			{"192.0.2.2", authenticated, ""},          // the client's third
			{"192.0.2.2", authenticated, "slow_down"}, // the client's fourth: over its burst
		}},
		{"a source over its limit gets 429 with a wrong secret, and the failure is neither recorded nor counted", []step{
			{"192.0.2.3", wrongSecret, "invalid_client"},
			{"192.0.2.3", wrongSecret, "invalid_client"},
			{"192.0.2.3", wrongSecret, "slow_down"},
			{"192.0.2.3", wrongSecret, "slow_down"},
		}},
		{"a source over its limit gets 429 from outside the allowlist, unaudited", []step{
			{"192.0.2.4", outsideAllowlist, "invalid_client"},
			{"192.0.2.4", outsideAllowlist, "invalid_client"},
			{"192.0.2.4", outsideAllowlist, "slow_down"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var results [2]string
			for i, together := range []bool{false, true} {
				counting := &countingLimiter{}
				f := newGuard(t, Config{LimitsTogether: together, BruteForce: Threshold{Count: 2, Window: 3600e9}}, limits)
				counting.Limiter = ratelimit.NewMemory(f.clock.Now)
				f.guard.cfg.Limiter = counting
				for n, s := range tc.steps {
					oerr := tokenRequest(f, s.ip, s.end)
					got := ""
					if oerr != nil {
						got = oerr.Code
					}
					if got != s.want {
						t.Fatalf("together=%v: request %d from %s got %q, want %q", together, n+1, s.ip, got, s.want)
					}
				}
				bans, _ := f.bans.Bans(context.Background())
				results[i] = fmt.Sprintf("events %d, bans %d", len(f.audit.events), len(bans))
				for _, e := range f.audit.events {
					results[i] += " " + e.Action
				}
				if together && tc.steps[0].end == authenticated {
					if n := counting.calls.Load(); n != int64(len(tc.steps)) {
						t.Errorf("together: %d limiter calls for %d authenticated requests, want one each", n, len(tc.steps))
					}
				}
			}
			if results[0] != results[1] {
				t.Fatalf("limits apart recorded %q, together %q", results[0], results[1])
			}
		})
	}
}

func TestLimitsTogetherLeaveOtherRequestsLimitedAtOnce(t *testing.T) {
	f := newGuard(t, Config{LimitsTogether: true}, gatehouse.RateLimits{IPPerMinute: 1, IPBurst: 1})
	ctx := context.Background()
	for i, claimed := range []*gatehouse.Client{nil, nil} {
		r := request("192.0.2.7")
		r.Credentials.ClientID = "gh_sbx_unknown"
		oerr := f.guard.Admit(ctx, r, f.env, claimed)
		if r.IPLimitPending {
			t.Fatal("Admit left the IP limit pending for a request naming no loaded client")
		}
		if (oerr != nil) != (i == 1) {
			t.Fatalf("request %d naming an unknown client: %v", i+1, oerr)
		}
	}
	r := request("192.0.2.8")
	r.RemoteIP = netip.MustParseAddr("192.0.2.8")
	r.GrantType = "password"
	if f.guard.Admit(ctx, r, f.env, client); r.IPLimitPending {
		t.Fatal("Admit left the IP limit pending for a grant type the issuer refuses before authentication")
	}
}
