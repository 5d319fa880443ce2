package ratelimit

import (
	"context"
	"errors"
	"time"
)

// ErrUnavailable is returned (wrapped) by a limiter that cannot decide: a
// Redis limiter configured to fail closed whose Redis is unreachable.
var ErrUnavailable = errors.New("rate limiter unavailable")

// Key names what a limit counts. Kind and Environment hold no ':'.
type Key struct {
	Kind        string // what is counted, e.g. "ip", "client", "authfail"
	Environment string // the environment, "" for limits across environments
	ID          string // the IP, client id, ...
}

// String returns the key as kind:environment:id.
func (k Key) String() string { return k.Kind + ":" + k.Environment + ":" + k.ID }

// Limit admits Rate events per Period on average and up to Burst at once
// (GCRA). A Rate or Period of 0 or less means no limit.
type Limit struct {
	Rate   int
	Burst  int
	Period time.Duration
}

// PerMinute returns a limit of rate events a minute with the given burst.
func PerMinute(rate, burst int) Limit { return Limit{Rate: rate, Burst: burst, Period: time.Minute} }

// Unlimited reports whether l admits everything.
func (l Limit) Unlimited() bool { return l.Rate <= 0 || l.Period <= 0 }

// interval is the time one event uses up.
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// burst is the burst, at least 1.
func (l Limit) burst() int { return max(l.Burst, 1) }

// Decision is a limiter's answer.
type Decision struct {
	Allowed bool
	// Remaining is how many more events would be admitted right now.
	Remaining int
	// RetryAfter is, when the event was refused, how long until one is
	// admitted again.
	RetryAfter time.Duration
}

// Check is one limit an event must pass: a key and its limit.
type Check struct {
	Key   Key
	Limit Limit
}

// Limiter decides whether an event may happen now.
type Limiter interface {
	// Allow counts one event under key if l admits it now.
	Allow(ctx context.Context, key Key, l Limit) (Decision, error)
	// AllowEach passes one event through checks in order, as that many
	// Allow calls would: each check that admits it counts it, and the
	// first that refuses stops it, so the checks after that one neither
	// see nor count it. It returns the refusing check's decision and
	// index, or an admitting decision (Remaining the least of the checks')
	// and -1. A Redis limiter makes it one round trip.
	AllowEach(ctx context.Context, checks ...Check) (d Decision, refused int, err error)
}
