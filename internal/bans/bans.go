package bans

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Reasons for a ban.
const (
	ReasonBruteForce = "brute_force" // too many failed client authentications
	ReasonRateLimit  = "rate_limit"  // kept exceeding rate limits
	ReasonManual     = "manual"      // banned by an operator
)

// Ban keeps an address from requesting tokens until ExpiresAt.
type Ban struct {
	// Subject is what is banned: an IPv4 address or an IPv6 /64 prefix
	// (see SubjectOf).
	Subject     string    `json:"subject"`
	Reason      string    `json:"reason"`
	Environment string    `json:"environment,omitempty"` // where the ban was earned
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Active reports whether b is in force at now.
func (b *Ban) Active(now time.Time) bool { return b != nil && now.Before(b.ExpiresAt) }

// List is a ban list.
type List interface {
	// Add bans b.Subject until b.ExpiresAt, replacing an earlier ban of it.
	Add(ctx context.Context, b Ban) error
	// Check returns the active ban of ip's subject, or nil.
	Check(ctx context.Context, ip netip.Addr) (*Ban, error)
	// Bans returns the active bans, by subject.
	Bans(ctx context.Context) ([]Ban, error)
	// Lift removes the ban of subject and reports whether there was one.
	Lift(ctx context.Context, subject string) (bool, error)
}

// SubjectOf returns what a ban of ip bans: the address itself for IPv4 (and
// IPv4-mapped IPv6), its /64 for IPv6.
func SubjectOf(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}

// ParseSubject turns what an operator typed (an IP address, or an IPv6 /64
// prefix) into a ban subject.
func ParseSubject(s string) (string, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return SubjectOf(ip), nil
	}
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is6() && p.Bits() == 64 {
		return p.Masked().String(), nil
	}
	return "", fmt.Errorf("%q is neither an IP address nor an IPv6 /64 prefix", s)
}
