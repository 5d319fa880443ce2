package cache_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestACachedClientAuthenticatesAsTheStoredOne(t *testing.T) {
	ctx := context.Background()
	f := newClientFixture(t)
	format, lifetime, reuse := gatehouse.TokenFormatOpaque, 10*time.Minute, true
	stored := &gatehouse.Client{ID: "client-a", Environment: "sandbox", AccountID: f.account.ID, Name: "a", Status: gatehouse.ClientActive,
		Scopes: []string{"ledger:read", "ledger:write"}, Audiences: []string{"https://api.example"},
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Tokens:       gatehouse.TokenOverrides{Format: &format, Lifetime: &lifetime, Reuse: &reuse},
		Secrets: []gatehouse.Secret{
			{Hash: gatehouse.HashSecret("old secret"), CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)},
			{Hash: gatehouse.HashSecret("new secret"), CreatedAt: f.now},
		}, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.store.Store.CreateClient(ctx, stored); err != nil {
		t.Fatal(err)
	}
	d := f.directory(t, 100)
	lookup(t, f, d, "client-a")
	c, reads := lookup(t, f, d, "client-a")
	if c == nil || reads != 0 {
		t.Fatalf("second lookup: %v after %d reads", c, reads)
	}
	if c.ID != stored.ID || c.Environment != stored.Environment || c.AccountID != stored.AccountID || c.Status != stored.Status ||
		!slices.Equal(c.Scopes, stored.Scopes) || !slices.Equal(c.Audiences, stored.Audiences) ||
		!slices.Equal(c.AllowedCIDRs, stored.AllowedCIDRs) {
		t.Errorf("cached client %+v differs from the stored %+v", c, stored)
	}
	if got, want := c.Tokens.Apply(gatehouse.DefaultTokenSettings()), stored.Tokens.Apply(gatehouse.DefaultTokenSettings()); got != want {
		t.Errorf("token settings %+v, want %+v", got, want)
	}
	if len(c.Secrets) != 2 {
		t.Fatalf("%d secrets, want 2", len(c.Secrets))
	}
	for i, s := range c.Secrets {
		w := stored.Secrets[i]
		if s.ID != w.ID || s.Hash != w.Hash || !s.ExpiresAt.Equal(w.ExpiresAt) {
			t.Errorf("secret %d: %+v, want %+v", i, s, w)
		}
	}
	for _, tc := range []struct {
		secret string
		at     time.Time
		want   int64
	}{
		{"new secret", f.now, stored.Secrets[1].ID},
		{"old secret", f.now.Add(59 * time.Minute), stored.Secrets[0].ID},
		{"old secret", f.now.Add(time.Hour), 0},
		{"another secret", f.now, 0},
	} {
		if id, ok := c.MatchSecret(tc.secret, tc.at); id != tc.want || ok != (tc.want != 0) {
			t.Errorf("%q at %v matched %d, %v; want %d", tc.secret, tc.at, id, ok, tc.want)
		}
	}
	if !c.AllowsIP(netip.MustParseAddr("10.1.2.3")) || c.AllowsIP(netip.MustParseAddr("192.0.2.1")) {
		t.Error("the cached allowlist differs")
	}
}

func TestAMustRotateClientIsCachedWhole(t *testing.T) {
	ctx := context.Background()
	f := newClientFixture(t)
	stored := &gatehouse.Client{ID: "imported", Environment: "sandbox", AccountID: f.account.ID, Name: "imported",
		Status: gatehouse.ClientActive, MustRotate: true, CreatedAt: f.now, UpdatedAt: f.now,
		Secrets: []gatehouse.Secret{{Hash: gatehouse.HashSecret("old"), CreatedAt: f.now}}}
	if err := f.store.Store.CreateClient(ctx, stored); err != nil {
		t.Fatal(err)
	}
	d := f.directory(t, 100)
	lookup(t, f, d, "imported")
	if c, reads := lookup(t, f, d, "imported"); c == nil || reads != 0 || !c.MustRotate {
		t.Fatalf("cached: %+v after %d reads, want the must-rotate mark kept in memory", c, reads)
	}
}

func TestAClientWithPublicKeysIsCachedWhole(t *testing.T) {
	ctx := context.Background()
	f := newClientFixture(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	stored := &gatehouse.Client{ID: "jwt-client", Environment: "sandbox", AccountID: f.account.ID, Name: "signer",
		Status: gatehouse.ClientActive, PublicKeyPEM: pemKey, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.store.Store.CreateClient(ctx, stored); err != nil {
		t.Fatal(err)
	}
	d := f.directory(t, 100)
	lookup(t, f, d, "jwt-client")
	c, reads := lookup(t, f, d, "jwt-client")
	if c == nil || reads != 0 || c.PublicKeyPEM != pemKey || c.Name != "signer" {
		t.Fatalf("cached: %+v after %d reads, want the whole client from memory", c, reads)
	}
}

func TestClientCacheStatsCountStoreReadsAndEvictions(t *testing.T) {
	ctx := context.Background()
	f := newClientFixture(t)
	for _, id := range []string{"c1", "c2", "c3"} {
		f.create(t, id)
	}
	d := f.directory(t, 2)
	for _, id := range []string{"c1", "c1", "c2", "nobody", "nobody"} {
		lookup(t, f, d, id)
	}
	f.store.fail.Store(true)
	if _, err := d.LookupClient("c3"); err == nil {
		t.Fatal("a failed read gave no error")
	}
	f.store.fail.Store(false)
	lookup(t, f, d, "c3") // the cache holds two: one goes
	if err := d.BuildFilter(ctx); err != nil {
		t.Fatal(err)
	}
	lookup(t, f, d, "guess")
	got := d.ClientCacheStats()
	want := got
	want.Entries, want.Capacity, want.Evictions = 2, 2, 1
	want.StoreReadsFound, want.StoreReadsAbsent, want.StoreReadsFailed = 3, 1, 1
	want.Filtered, want.KnownAbsent = 1, 1
	if got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
	if reads := f.store.reads.Load(); uint64(reads) != got.StoreReadsFound+got.StoreReadsAbsent+got.StoreReadsFailed {
		t.Errorf("the store saw %d reads, the stats count %d", reads, got.StoreReadsFound+got.StoreReadsAbsent+got.StoreReadsFailed)
	}
}
