package gatehouse

import "time"

// RateLimits say how many token requests an environment admits, per client
// and per source IP, as a sustained rate per minute and a burst (the
// requests admitted at once after a quiet period). A rate of 0 switches that
// limit off. Requests over a limit get 429 slow_down with Retry-After.
type RateLimits struct {
	ClientPerMinute int
	ClientBurst     int
	IPPerMinute     int
	IPBurst         int
}

// Default rate limits. A well-behaved client fetches a token, caches it for
// its lifetime and fetches the next one shortly before it expires: a few
// requests an hour. The sustained rate of one request per second per client
// leaves room for many workers that each keep their own token; the burst of
// 100 lets a fleet of workers start at once. The per-IP limits are looser
// because one address may be a NAT in front of many clients.
const (
	DefaultClientPerMinute = 60
	DefaultClientBurst     = 100
	DefaultIPPerMinute     = 600
	DefaultIPBurst         = 200
)

// MaxRatePerMinute bounds a configured rate (one million requests per
// second).
const MaxRatePerMinute = 60_000_000

// DefaultRateLimits are the limits of a new environment.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		ClientPerMinute: DefaultClientPerMinute,
		ClientBurst:     DefaultClientBurst,
		IPPerMinute:     DefaultIPPerMinute,
		IPBurst:         DefaultIPBurst,
	}
}

// Validate checks the limits: rates between 0 (off) and MaxRatePerMinute,
// and a burst of at least 1 wherever the rate is on.
func (l RateLimits) Validate() error {
	for _, c := range []struct {
		what        string
		rate, burst int
	}{{"client", l.ClientPerMinute, l.ClientBurst}, {"IP", l.IPPerMinute, l.IPBurst}} {
		if c.rate < 0 || c.rate > MaxRatePerMinute {
			return Errorf(EINVALID, "%s rate limit %d must be between 0 (off) and %d per minute", c.what, c.rate, MaxRatePerMinute)
		}
		if c.burst < 0 || c.burst > MaxRatePerMinute || (c.rate > 0 && c.burst < 1) {
			return Errorf(EINVALID, "%s burst %d must be at least 1 and at most %d", c.what, c.burst, MaxRatePerMinute)
		}
	}
	return nil
}

// IPBan is a recorded ban of a source address: Subject (an IPv4 address or
// an IPv6 /64 prefix) may not use the token endpoint, introspection,
// revocation or the admin API until ExpiresAt.
type IPBan struct {
	Subject     string
	Reason      string
	Environment string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}
