package bench

import (
	"strings"
	"testing"
)

func TestParseMix(t *testing.T) {
	m, err := ParseMix(DefaultMix)
	if err != nil {
		t.Fatal(err)
	}
	if m[KindIssue] != 70 || m[KindReuse] != 10 || m[KindIntrospect] != 10 || m[KindRevoke] != 5 || m[KindAdmin] != 5 {
		t.Fatalf("ParseMix(%q) = %v", DefaultMix, m)
	}
	if got := m.String(); got != DefaultMix {
		t.Errorf("String() = %q, want %q", got, DefaultMix)
	}
	if m, err := ParseMix(" issue = 3 , admin=1 "); err != nil || m[KindIssue] != 3 || m[KindAdmin] != 1 || m[KindRevoke] != 0 {
		t.Errorf("spaces and left-out kinds: %v, %v", m, err)
	}
	for _, tc := range []struct{ in, wantErr string }{
		{"issue", "kind=weight"},
		{"mint=5", "unknown kind"},
		{"issue=5,issue=6", "twice"},
		{"issue=-1", "non-negative integer"},
		{"issue=x", "non-negative integer"},
		{"issue=0,admin=0", "positive weight"},
		{"", "positive weight"},
	} {
		if _, err := ParseMix(tc.in); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseMix(%q) = %v, want an error about %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestMixSchedulerFollowsTheWeights(t *testing.T) {
	t.Run("every cycle of the total holds each kind exactly its weight", func(t *testing.T) {
		m, _ := ParseMix(DefaultMix)
		s := newMixScheduler(m)
		for cycle := range 5 {
			got := map[string]int{}
			for range 100 {
				got[s.next()]++
			}
			for _, k := range Kinds {
				if got[k] != m[k] {
					t.Fatalf("cycle %d: %s picked %d times, want %d (%v)", cycle, k, got[k], m[k], got)
				}
			}
		}
	})

	t.Run("a small share is spread out, not sent in a burst", func(t *testing.T) {
		s := newMixScheduler(Mix{KindIssue: 70, KindReuse: 10, KindIntrospect: 10, KindRevoke: 5, KindAdmin: 5})
		last, longest, shortest := -1, 0, 1<<30
		for i := range 1000 {
			if s.next() != KindAdmin {
				continue
			}
			if last >= 0 {
				longest, shortest = max(longest, i-last), min(shortest, i-last)
			}
			last = i
		}
		// One in 20 on average: the gaps stay near 20.
		if shortest < 10 || longest > 30 {
			t.Fatalf("gaps between admin writes from %d to %d requests, want about 20", shortest, longest)
		}
	})

	t.Run("kinds of weight zero are never picked", func(t *testing.T) {
		s := newMixScheduler(Mix{KindIssue: 1, KindAdmin: 0, KindRevoke: 2})
		for range 300 {
			if k := s.next(); k != KindIssue && k != KindRevoke {
				t.Fatalf("picked %s", k)
			}
		}
	})
}
