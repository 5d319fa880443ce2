package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// The kinds of request a soak sends.
const (
	KindIssue      = "issue"      // a new token from the standard token endpoint
	KindReuse      = "reuse"      // the Lemonway-style endpoint, which hands back the client's unexpired token
	KindIntrospect = "introspect" // RFC 7662 introspection of a token the soak was issued
	KindRevoke     = "revoke"     // RFC 7009 revocation of a token the soak was issued, by its client
	KindAdmin      = "admin"      // an admin API write: create a client, rotate its secret, revoke it
)

// Kinds lists the kinds in the order reports show them.
var Kinds = []string{KindIssue, KindReuse, KindIntrospect, KindRevoke, KindAdmin}

// DefaultMix is the mix of a soak unless told otherwise.
const DefaultMix = "issue=70,reuse=10,introspect=10,revoke=5,admin=5"

// Mix is the share of each kind of request, as integer weights.
type Mix map[string]int

// ParseMix reads "issue=70,reuse=10,…": every kind at most once, weights
// non-negative integers, at least one positive. Kinds left out get 0.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	total := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kind, w, ok := strings.Cut(part, "=")
		kind = strings.TrimSpace(kind)
		if !ok {
			return nil, fmt.Errorf("mix %q: %q must be kind=weight", s, part)
		}
		if !isKind(kind) {
			return nil, fmt.Errorf("mix %q: unknown kind %q (kinds: %s)", s, kind, strings.Join(Kinds, ", "))
		}
		if _, dup := m[kind]; dup {
			return nil, fmt.Errorf("mix %q: %s is given twice", s, kind)
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("mix %q: the weight of %s must be a non-negative integer", s, kind)
		}
		m[kind] = n
		total += n
	}
	if total == 0 {
		return nil, fmt.Errorf("mix %q: at least one kind needs a positive weight", s)
	}
	return m, nil
}

func isKind(k string) bool {
	for _, kind := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// String renders the mix as ParseMix reads it, kinds in report order.
func (m Mix) String() string {
	var parts []string
	for _, k := range Kinds {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
		}
	}
	return strings.Join(parts, ",")
}

// mixScheduler picks the kind of each next request so that every window of
// consecutive picks follows the mix as closely as integers allow (smooth
// weighted round robin): with issue=70 and admin=5, the admin writes come
// one every 20 requests or so, not in bursts. It is deterministic and not
// safe for concurrent use.
type mixScheduler struct {
	kinds   []string
	weights []int
	current []int
	total   int
}

func newMixScheduler(m Mix) *mixScheduler {
	s := &mixScheduler{}
	for _, k := range Kinds {
		if w := m[k]; w > 0 {
			s.kinds = append(s.kinds, k)
			s.weights = append(s.weights, w)
			s.total += w
		}
	}
	s.current = make([]int, len(s.kinds))
	return s
}

// next returns the kind of the next request: every kind's credit grows by
// its weight, the kind with the most credit is picked and pays the total.
// The credits are back at zero after every total picks, so each such cycle
// picks every kind exactly its weight, spread out within the cycle.
func (s *mixScheduler) next() string {
	best := 0
	for i, w := range s.weights {
		s.current[i] += w
		if s.current[i] > s.current[best] {
			best = i
		}
	}
	s.current[best] -= s.total
	return s.kinds[best]
}
