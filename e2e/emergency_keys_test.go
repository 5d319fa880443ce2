package e2e

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// TestLeakedSigningKeyIsReplacedAndRevoked runs the emergency procedure
// over HTTP: the new key signs at once, and once the leaked key is revoked
// it is out of the JWKS and the tokens it signed introspect inactive.
func TestLeakedSigningKeyIsReplacedAndRevoked(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{})
	leakedToken, leaked := fetchSignedToken(t, s, "sandbox", c)

	res, err := s.Admin.RotateSigningKeyNow(ctx, "sandbox", "")
	if err != nil {
		t.Fatalf("rotate now: %v", err)
	}
	fresh, kid := fetchSignedToken(t, s, "sandbox", c)
	if kid != res.Key.KeyID || kid == leaked {
		t.Fatalf("a token right after rotate --now has kid %s, want the new key %s", kid, res.Key.KeyID)
	}
	if introspectClaims(t, s, "sandbox", c, leakedToken)["active"] != true {
		t.Fatal("before the revocation, the old key's tokens must stay active")
	}
	if _, err := s.Admin.RevokeSigningKey(ctx, "sandbox", leaked); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if kids := jwksKids(t, s, "sandbox"); slices.Contains(kids, leaked) || !slices.Contains(kids, kid) {
		t.Fatalf("JWKS after the revocation: %v, want %s and not %s", kids, kid, leaked)
	}
	if introspectClaims(t, s, "sandbox", c, leakedToken)["active"] != false {
		t.Fatal("a token of the revoked key is still active")
	}
	if introspectClaims(t, s, "sandbox", c, fresh)["active"] != true {
		t.Fatal("a token of the new key is inactive")
	}
	if err := verifyWithGoOIDC(t, s, "sandbox", fresh, nil); err != nil {
		t.Fatalf("go-oidc refuses the new key's token: %v", err)
	}
}

// TestReplicasStartingTogetherCreateOneActiveKey starts two servers at the
// same moment on a fresh PostgreSQL database: each environment ends with
// exactly one active key.
func TestReplicasStartingTogetherCreateOneActiveKey(t *testing.T) {
	for round := range 3 {
		dsn := testenv.PostgresSchema(t)
		mains := make([]*app.Main, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range mains {
			cfg := app.Config{Database: dsn, Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminPassword: "operator-password-for-tests",
				MasterKey: sharedTestMasterKey} // replicas share the master key their signing keys are sealed under
			mains[i] = app.New(cfg, slog.New(slog.DiscardHandler))
			mains[i].Stderr = &testenv.Logs{}
			wg.Go(func() { errs[i] = mains[i].Open(context.Background()) })
		}
		wg.Wait()
		for i, m := range mains {
			if errs[i] != nil {
				t.Fatalf("round %d: replica %d: %v", round, i, errs[i])
			}
			defer m.Close()
		}
		store, err := sqlstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		for _, env := range []string{"sandbox", "production", "admin"} {
			list, err := store.SigningKeys(context.Background(), env)
			if err != nil {
				t.Fatal(err)
			}
			active := 0
			for _, k := range list {
				if k.State == gatehouse.KeyActive {
					active++
				}
			}
			if active != 1 {
				t.Fatalf("round %d: %s has %d active keys, want exactly 1", round, env, active)
			}
		}
	}
}
