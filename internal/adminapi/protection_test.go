package adminapi

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
)

// newProtectionFixture is newFixture with the audit log and a ban list
// wired in.
func newProtectionFixture(t *testing.T) (*fixture, *bans.Memory) {
	t.Helper()
	store := openStore(t)
	f := &fixture{store: store, now: startTime}
	list := bans.NewMemory(f.clock)
	f.handler = New(Config{
		Store: store, Authenticate: authenticate, Now: f.clock,
		IssuerURL: func(env string) string { return "https://auth.example.com/realms/" + env },
		Rand:      rand.NewChaCha8([32]byte{5}),
		Logger:    slog.New(slog.NewJSONHandler(&f.log, nil)),
		Audit:     store, Bans: list,
	})
	return f, list
}

// auditLog returns every audit event, oldest first, through the API.
func (f *fixture) auditLog(t *testing.T, query string) wire.AuditPage {
	t.Helper()
	var page wire.AuditPage
	decode(t, f.must(t, http.StatusOK, "GET", "/admin/v1/audit"+query, readToken, ""), &page)
	return page
}

func TestMutationsAreAudited(t *testing.T) {
	f, _ := newProtectionFixture(t)
	var created wire.ClientWithSecret
	decode(t, f.must(t, http.StatusCreated, "POST", "/admin/v1/clients", writeToken,
		`{"environment":"sandbox","name":"acme","scopes":["ledger:read"]}`), &created)
	var rotated wire.ClientWithSecret
	decode(t, f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+created.ClientID+"/rotate", writeToken, ""), &rotated)
	f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+created.ClientID+"/revoke", writeToken, "")
	f.must(t, http.StatusCreated, "POST", "/admin/v1/accounts", writeToken, `{"name":"Beta"}`)
	f.must(t, http.StatusOK, "PATCH", "/admin/v1/environments/sandbox", writeToken, `{"rate_limits":{"client_per_minute":5,"client_burst":5}}`)
	f.do(t, "POST", "/admin/v1/clients", writeToken, `{"environment":"nowhere","name":"x"}`)
	f.must(t, http.StatusOK, "GET", "/admin/v1/clients/"+created.ClientID, readToken, "")

	events := f.auditLog(t, "").Items
	type row struct{ action, object, env, outcome string }
	var got []row
	for _, e := range events {
		got = append(got, row{e.Action, e.Object, e.Environment, e.Outcome})
		if e.Actor != "client:admin-client" || e.SourceIP != "192.0.2.1" || !e.Time.Equal(startTime) {
			t.Errorf("event %s: actor %q, source %q, time %v; want the admin client from 192.0.2.1 now", e.Action, e.Actor, e.SourceIP, e.Time)
		}
	}
	client := "client:" + created.ClientID
	want := []row{
		{"client.create", client, "sandbox", "success"},
		{"client.rotate", client, "sandbox", "success"},
		{"client.revoke", client, "sandbox", "success"},
		{"account.create", "account:2", "", "success"},
		{"environment.update", "environment:sandbox", "sandbox", "success"},
		{"client.create", "", "", "denied"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audit log:\n  %v\nwant (reads not audited):\n  %v", got, want)
	}
	if d := events[len(events)-1].Detail; !strings.HasPrefix(d, "error ") {
		t.Errorf("a refused mutation's detail is %q, want its error code", d)
	}
	export := f.do(t, "GET", "/admin/v1/audit/export", readToken, "").Body.String()
	for _, secret := range []string{created.ClientSecret, created.APIKey, rotated.ClientSecret, rotated.APIKey} {
		if secret != "" && strings.Contains(export, secret) {
			t.Fatalf("the audit log holds a secret: %s", export)
		}
	}
}

func TestAuditList(t *testing.T) {
	f, _ := newProtectionFixture(t)
	ctx := context.Background()
	for i := range 5 {
		e := &gatehouse.AuditEvent{
			Time: startTime.Add(time.Duration(i) * time.Minute), Actor: "anonymous", SourceIP: "198.51.100.1",
			Action: gatehouse.ActionAuthFailure, Object: fmt.Sprintf("client:c%d", i%2), Environment: "sandbox",
			Outcome: gatehouse.OutcomeFailure,
		}
		if i == 4 {
			e.Action, e.Environment = gatehouse.ActionIPBanned, "production"
		}
		if err := f.store.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(p wire.AuditPage) []int64 {
		var out []int64
		for _, e := range p.Items {
			out = append(out, e.ID)
		}
		return out
	}
	cases := []struct {
		name  string
		query string
		want  []int64
	}{
		{"everything oldest first", "", []int64{1, 2, 3, 4, 5}},
		{"by action", "?action=ip.ban", []int64{5}},
		{"by object", "?object=client:c1", []int64{2, 4}},
		{"by environment", "?environment=production", []int64{5}},
		{"by actor", "?actor=nobody", nil},
		{"since and until", "?since=2025-03-01T12:01:00Z&until=2025-03-01T12:03:00Z", []int64{2, 3}},
		{"newest first", "?order=desc&limit=2", []int64{5, 4}},
		{"after an id", "?after=3", []int64{4, 5}},
		{"before an id, newest first", "?order=desc&before=3", []int64{2, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(f.auditLog(t, tc.query)); !slices.Equal(got, tc.want) {
				t.Fatalf("ids %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("pages follow next_after and next_before to the end", func(t *testing.T) {
		for _, order := range []string{"asc", "desc"} {
			var seen []int64
			q := "?limit=2&order=" + order
			for range 5 {
				p := f.auditLog(t, q)
				seen = append(seen, ids(p)...)
				switch {
				case p.NextAfter != nil:
					q = fmt.Sprintf("?limit=2&order=%s&after=%d", order, *p.NextAfter)
				case p.NextBefore != nil:
					q = fmt.Sprintf("?limit=2&order=%s&before=%d", order, *p.NextBefore)
				default:
					q = ""
				}
				if q == "" {
					break
				}
			}
			if len(seen) != 5 {
				t.Errorf("order %s: paging saw %v, want all 5 events once", order, seen)
			}
		}
	})

	t.Run("bad parameters are refused", func(t *testing.T) {
		for _, q := range []string{"?since=yesterday", "?after=x", "?limit=0", "?limit=100000", "?order=sideways"} {
			checkError(t, f.do(t, "GET", "/admin/v1/audit"+q, readToken, ""), http.StatusBadRequest, gatehouse.EINVALID)
		}
	})

	t.Run("the export streams every match as JSON lines", func(t *testing.T) {
		rec := f.do(t, "GET", "/admin/v1/audit/export?object=client:c0", readToken, "")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		var lines []string
		sc := bufio.NewScanner(rec.Body)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if len(lines) != 3 || !strings.Contains(lines[0], `"id":1,`) || !strings.Contains(lines[2], `"id":5,`) {
			t.Fatalf("export lines: %q", lines)
		}
		limited := f.do(t, "GET", "/admin/v1/audit/export?limit=2", readToken, "").Body.String()
		if n := strings.Count(limited, "\n"); n != 2 {
			t.Fatalf("export with limit=2 has %d lines", n)
		}
	})

	t.Run("reading the audit log needs a credential", func(t *testing.T) {
		checkError(t, f.do(t, "GET", "/admin/v1/audit", "", ""), http.StatusUnauthorized, gatehouse.EUNAUTHORIZED)
		checkError(t, f.do(t, "GET", "/admin/v1/audit/export", noScopeToken, ""), http.StatusForbidden, gatehouse.EFORBIDDEN)
	})
}

func TestBans(t *testing.T) {
	f, list := newProtectionFixture(t)
	ctx := context.Background()
	for _, ip := range []string{"203.0.113.7", "2001:db8:1:2::9"} {
		err := list.Add(ctx, bans.Ban{Subject: bans.SubjectOf(netipAddr(ip)), Reason: bans.ReasonBruteForce,
			Environment: "sandbox", CreatedAt: startTime, ExpiresAt: startTime.Add(15 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
	}
	var got wire.BanList
	decode(t, f.must(t, http.StatusOK, "GET", "/admin/v1/bans", readToken, ""), &got)
	if len(got.Items) != 2 || got.Items[0].Subject != "2001:db8:1:2::/64" || got.Items[1].Subject != "203.0.113.7" ||
		got.Items[1].Reason != "brute_force" || !got.Items[1].ExpiresAt.Equal(startTime.Add(15*time.Minute)) {
		t.Fatalf("bans %+v", got.Items)
	}

	t.Run("a ban is lifted once", func(t *testing.T) {
		f.must(t, http.StatusOK, "DELETE", "/admin/v1/bans/203.0.113.7", writeToken, "")
		checkError(t, f.do(t, "DELETE", "/admin/v1/bans/203.0.113.7", writeToken, ""), http.StatusNotFound, gatehouse.ENOTFOUND)
		if b, _ := list.Check(ctx, netipAddr("203.0.113.7")); b != nil {
			t.Fatal("the lifted ban is still in force")
		}
	})
	t.Run("an IPv6 ban is lifted by any address of its /64 or by the prefix", func(t *testing.T) {
		f.must(t, http.StatusOK, "DELETE", "/admin/v1/bans/2001:db8:1:2::1", writeToken, "")
		list.Add(ctx, bans.Ban{Subject: "2001:db8:1:2::/64", CreatedAt: startTime, ExpiresAt: startTime.Add(time.Hour)})
		f.must(t, http.StatusOK, "DELETE", "/admin/v1/bans/2001:db8:1:2::%2F64", writeToken, "")
	})
	t.Run("a subject that is not an address is refused", func(t *testing.T) {
		checkError(t, f.do(t, "DELETE", "/admin/v1/bans/not-an-ip", writeToken, ""), http.StatusBadRequest, gatehouse.EINVALID)
	})
	t.Run("lifting needs admin:write", func(t *testing.T) {
		checkError(t, f.do(t, "DELETE", "/admin/v1/bans/203.0.113.8", readToken, ""), http.StatusForbidden, gatehouse.EFORBIDDEN)
	})
	t.Run("lifting is audited", func(t *testing.T) {
		events := f.auditLog(t, "?action="+gatehouse.ActionIPBanLifted).Items
		if len(events) < 3 || events[0].Object != "ip:203.0.113.7" || events[0].Outcome != "success" || events[1].Outcome != "denied" {
			t.Fatalf("unban events %+v", events)
		}
	})
}

func TestRateLimitSettings(t *testing.T) {
	f, _ := newProtectionFixture(t)
	var env wire.Environment
	decode(t, f.must(t, http.StatusOK, "PATCH", "/admin/v1/environments/sandbox", writeToken,
		`{"rate_limits":{"client_per_minute":30,"client_burst":10,"ip_per_minute":300,"ip_burst":50}}`), &env)
	want := wire.RateLimits{ClientPerMinute: 30, ClientBurst: 10, IPPerMinute: 300, IPBurst: 50}
	if env.RateLimits != want {
		t.Fatalf("rate limits %+v, want %+v", env.RateLimits, want)
	}
	decode(t, f.must(t, http.StatusOK, "PATCH", "/admin/v1/environments/sandbox", writeToken,
		`{"rate_limits":{"ip_per_minute":0}}`), &env)
	want.IPPerMinute = 0
	if env.RateLimits != want {
		t.Fatalf("after switching the IP limit off: %+v, want %+v", env.RateLimits, want)
	}
	for _, body := range []string{
		`{"rate_limits":{"client_per_minute":-1}}`,
		`{"rate_limits":{"client_per_minute":10,"client_burst":0}}`,
		`{"rate_limits":{"per_fortnight":3}}`,
	} {
		checkError(t, f.do(t, "PATCH", "/admin/v1/environments/sandbox", writeToken, body), http.StatusBadRequest, gatehouse.EINVALID)
	}
	decode(t, f.must(t, http.StatusOK, "GET", "/admin/v1/environments/sandbox", readToken, ""), &env)
	if env.RateLimits != want {
		t.Fatalf("refused changes were stored: %+v", env.RateLimits)
	}
}

func netipAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
