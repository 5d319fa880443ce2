package bans

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"

	"github.com/redis/go-redis/v9"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// runSuite is the test suite every List passes.
func runSuite(t *testing.T, newList func(t *testing.T, clock *fakeClock) List) {
	ctx := context.Background()
	ban := func(clock *fakeClock, ip string, d time.Duration) Ban {
		return Ban{Subject: SubjectOf(addr(ip)), Reason: ReasonBruteForce, Environment: "sandbox",
			CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(d)}
	}
	check := func(t *testing.T, l List, ip string) *Ban {
		t.Helper()
		b, err := l.Check(ctx, addr(ip))
		if err != nil {
			t.Fatalf("Check(%s): %v", ip, err)
		}
		return b
	}

	t.Run("a banned address is banned and others are not", func(t *testing.T) {
		clock := newFakeClock()
		l := newList(t, clock)
		if check(t, l, "192.0.2.1") != nil {
			t.Fatal("an empty list bans 192.0.2.1")
		}
		want := ban(clock, "192.0.2.1", 15*time.Minute)
		if err := l.Add(ctx, want); err != nil {
			t.Fatal(err)
		}
		got := check(t, l, "192.0.2.1")
		if got == nil || got.Subject != want.Subject || got.Reason != want.Reason || !got.ExpiresAt.Equal(want.ExpiresAt) ||
			got.Environment != want.Environment || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("Check returned %+v, want %+v", got, want)
		}
		if check(t, l, "192.0.2.2") != nil {
			t.Fatal("banning 192.0.2.1 banned 192.0.2.2")
		}
	})

	t.Run("a ban ends at its expiry", func(t *testing.T) {
		clock := newFakeClock()
		l := newList(t, clock)
		if err := l.Add(ctx, ban(clock, "192.0.2.1", 15*time.Minute)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(15*time.Minute - time.Second)
		if check(t, l, "192.0.2.1") == nil {
			t.Fatal("the ban ended a second early")
		}
		clock.Advance(time.Second)
		if check(t, l, "192.0.2.1") != nil {
			t.Fatal("the ban is still in force at its expiry")
		}
		list, err := l.Bans(ctx)
		if err != nil || len(list) != 0 {
			t.Fatalf("Bans after expiry: %v, %v; want none", list, err)
		}
	})

	t.Run("a lifted ban ends at once and lifting twice finds nothing", func(t *testing.T) {
		clock := newFakeClock()
		l := newList(t, clock)
		if err := l.Add(ctx, ban(clock, "192.0.2.1", time.Hour)); err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false} {
			found, err := l.Lift(ctx, "192.0.2.1")
			if err != nil || found != want {
				t.Fatalf("Lift %d: %v, %v; want %v", i+1, found, err, want)
			}
		}
		if check(t, l, "192.0.2.1") != nil {
			t.Fatal("the lifted ban is still in force")
		}
	})

	t.Run("a new ban of a subject replaces the old one", func(t *testing.T) {
		clock := newFakeClock()
		l := newList(t, clock)
		l.Add(ctx, ban(clock, "192.0.2.1", time.Minute))
		longer := ban(clock, "192.0.2.1", time.Hour)
		longer.Reason = ReasonRateLimit
		if err := l.Add(ctx, longer); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Minute)
		if b := check(t, l, "192.0.2.1"); b == nil || b.Reason != ReasonRateLimit {
			t.Fatalf("Check: %+v, want the longer rate_limit ban", b)
		}
	})

	t.Run("IPv6 addresses are banned by their /64 and mapped IPv4 as IPv4", func(t *testing.T) {
		clock := newFakeClock()
		l := newList(t, clock)
		l.Add(ctx, ban(clock, "2001:db8:1:2::1", time.Hour))
		l.Add(ctx, ban(clock, "::ffff:198.51.100.7", time.Hour))
		cases := []struct {
			ip     string
			banned bool
		}{
			{"2001:db8:1:2::1", true},
			{"2001:db8:1:2:ffff::9", true},
			{"2001:db8:1:3::1", false},
			{"198.51.100.7", true},
			{"::ffff:198.51.100.7", true},
			{"198.51.100.8", false},
		}
		for _, tc := range cases {
			if got := check(t, l, tc.ip) != nil; got != tc.banned {
				t.Errorf("%s banned: %v, want %v", tc.ip, got, tc.banned)
			}
		}
	})

	t.Run("bans are listed by subject", func(t *testing.T) {
		clock := newFakeClock()
		l := newList(t, clock)
		for _, ip := range []string{"192.0.2.9", "192.0.2.10", "2001:db8::1"} {
			l.Add(ctx, ban(clock, ip, time.Hour))
		}
		list, err := l.Bans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range list {
			got = append(got, b.Subject)
		}
		if want := []string{"192.0.2.10", "192.0.2.9", "2001:db8::/64"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Bans: %v, want %v", got, want)
		}
	})
}

func TestMemory(t *testing.T) {
	runSuite(t, func(t *testing.T, clock *fakeClock) List { return NewMemory(clock.Now) })
}

func TestMemoryCheckWithoutBansDoesNotAllocate(t *testing.T) {
	m := NewMemory(nil)
	ip := addr("192.0.2.1")
	if n := testing.AllocsPerRun(100, func() { m.Check(context.Background(), ip) }); n > 0 {
		t.Fatalf("Check allocates %.1f times with no bans, want 0", n)
	}
}

func randomPrefix() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "gatehouse-test:" + hex.EncodeToString(b) + ":"
}

func TestRedis(t *testing.T) {
	client := testenv.Redis(t)
	runSuite(t, func(t *testing.T, clock *fakeClock) List {
		return NewRedis(RedisConfig{Client: client, Prefix: randomPrefix(), Now: clock.Now})
	})
}

func TestRedisReplicasShareBans(t *testing.T) {
	ctx := context.Background()
	prefix := randomPrefix()
	a := NewRedis(RedisConfig{Client: testenv.Redis(t), Prefix: prefix})
	b := NewRedis(RedisConfig{Client: testenv.Redis(t), Prefix: prefix})
	now := time.Now()
	if err := a.Add(ctx, Ban{Subject: "192.0.2.1", Reason: ReasonManual, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Check(ctx, addr("192.0.2.1")); err != nil || got == nil {
		t.Fatalf("replica b does not see replica a's ban: %v, %v", got, err)
	}
	if found, err := b.Lift(ctx, "192.0.2.1"); err != nil || !found {
		t.Fatalf("replica b could not lift replica a's ban: %v, %v", found, err)
	}
	if got, _ := a.Check(ctx, addr("192.0.2.1")); got != nil {
		t.Fatal("replica a still enforces a ban lifted on replica b")
	}
}

func TestRedisUnreachableKeepsLocalBans(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	client := redis.NewClient(&redis.Options{Addr: dead, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer client.Close()
	ctx := context.Background()
	l := NewRedis(RedisConfig{Client: client})
	now := time.Now()
	if err := l.Add(ctx, Ban{Subject: "192.0.2.1", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err == nil {
		t.Fatal("Add reported success with Redis down")
	}
	got, err := l.Check(ctx, addr("192.0.2.1"))
	if err != nil || got == nil {
		t.Fatalf("with Redis down, this replica's ban is not enforced: %v, %v", got, err)
	}
	if got, _ := l.Check(ctx, addr("192.0.2.2")); got != nil {
		t.Fatal("with Redis down, an address never banned is banned")
	}
}

func TestParseSubject(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"192.0.2.1", "192.0.2.1", true},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
		{"2001:db8::7", "2001:db8::/64", true},
		{"2001:db8::1/64", "2001:db8::/64", true},
		{"2001:db8::/48", "", false},
		{"192.0.2.0/24", "", false},
		{"not an ip", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q parses to %q", tc.in, tc.want), func(t *testing.T) {
			got, err := ParseSubject(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseSubject(%q) = %q, %v", tc.in, got, err)
			}
		})
	}
}
