package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

func TestDirectoryFollowsCredentialRevocations(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateEnvironment(ctx, &gatehouse.Environment{Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256,
		Tokens: gatehouse.DefaultTokenSettings(), Limits: gatehouse.DefaultRateLimits(), CreatedAt: now, UpdatedAt: now}))
	acct := &gatehouse.Account{Name: "a", CreatedAt: now}
	must(st.CreateAccount(ctx, acct))
	newClient := func(id string) *gatehouse.Client {
		c := &gatehouse.Client{ID: id, Environment: "sandbox", AccountID: acct.ID, Name: id, Status: gatehouse.ClientActive,
			Secrets:   []gatehouse.Secret{{Hash: gatehouse.HashSecret(id), CreatedAt: now}},
			CreatedAt: now, UpdatedAt: now}
		must(st.CreateClient(ctx, c))
		return c
	}
	a, b := newClient("client-a"), newClient("client-b")
	_, err := st.RevokeSecret(ctx, a.ID, a.Secrets[0].ID, now)
	must(err)

	d := cache.New(cache.Config{Store: st, Now: clock})
	must(d.Load(ctx))
	if !d.SecretRevoked(a.Secrets[0].ID) || d.SecretRevoked(b.Secrets[0].ID) || d.ClientRevoked(b.ID) {
		t.Fatal("after a load the directory does not know exactly the revoked secret")
	}
	_, err = st.RevokeClient(ctx, b.ID, now)
	must(err)
	if d.ClientRevoked(b.ID) {
		t.Fatal("the directory knew of the revocation before it synced")
	}
	must(d.Refresh(ctx))
	if !d.ClientRevoked(b.ID) || d.Client(b.ID).Active() {
		t.Fatal("after a refresh the directory does not know the client was revoked")
	}
	now = now.Add(gatehouse.MaxTokenLifetime + time.Second)
	must(d.Load(ctx))
	if d.SecretRevoked(a.Secrets[0].ID) || d.ClientRevoked(b.ID) {
		t.Fatal("records whose tokens have all expired are still loaded")
	}
}
