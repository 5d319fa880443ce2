package tokens_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

func TestIssueTestToken(t *testing.T) {
	ctx := context.Background()
	userIP := netip.MustParseAddr("198.51.100.4")

	t.Run("an active client gets a token with its scopes that introspects active", func(t *testing.T) {
		f := newFixture(t)
		tok, claims, oerr := f.issuer.IssueTestToken(ctx, f.sandbox.ID, userIP)
		if oerr != nil {
			t.Fatal(oerr)
		}
		if claims.ClientID != f.sandbox.ID || claims.Scope != "ledger:read ledger:write" || claims.Issuer != issuerBase+"sandbox" ||
			claims.AccountID != f.sandbox.AccountID || claims.ExpiresAt != f.clock.Now().Add(gatehouse.DefaultTokenLifetime).Unix() {
			t.Fatalf("claims %+v do not describe the sandbox client's default token", claims)
		}
		if !active(t, f.issuer, f, "sandbox", tok.AccessToken) {
			t.Fatal("the test token does not introspect active")
		}
	})

	t.Run("an opaque environment's test token comes back with its claims", func(t *testing.T) {
		f := newFixture(t)
		f.opaqueSandbox(t)
		k, _ := newKeyring(t)
		iss := f.issuerWith(k)
		tok, claims, oerr := iss.IssueTestToken(ctx, f.sandbox.ID, userIP)
		if oerr != nil {
			t.Fatal(oerr)
		}
		if !strings.HasPrefix(tok.AccessToken, tokens.OpaquePrefix) || claims.ClientID != f.sandbox.ID {
			t.Fatalf("got token %.8s… with claims %+v, want an opaque token of the sandbox client", tok.AccessToken, claims)
		}
	})

	t.Run("a revoked client gets invalid_client", func(t *testing.T) {
		f := newFixture(t)
		if _, err := f.store.RevokeClient(ctx, f.sandbox.ID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := f.dir.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, oerr := f.issuer.IssueTestToken(ctx, f.sandbox.ID, userIP); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Fatalf("a revoked client got %v, want invalid_client", oerr)
		}
	})

	t.Run("the IP allowlist applies to the user's address", func(t *testing.T) {
		f := newFixture(t)
		c, _ := f.store.Client(ctx, f.sandbox.ID)
		c.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
		if err := f.store.UpdateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := f.dir.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, oerr := f.issuer.IssueTestToken(ctx, f.sandbox.ID, userIP); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Fatalf("a user outside the allowlist got %v, want invalid_client", oerr)
		}
		if _, _, oerr := f.issuer.IssueTestToken(ctx, f.sandbox.ID, netip.MustParseAddr("203.0.113.9")); oerr != nil {
			t.Fatalf("a user inside the allowlist got %v", oerr)
		}
	})

	t.Run("an unknown client gets invalid_client", func(t *testing.T) {
		f := newFixture(t)
		if _, _, oerr := f.issuer.IssueTestToken(ctx, "no-such-client", userIP); oerr == nil || oerr.Code != tokens.ErrInvalidClient {
			t.Fatalf("got %v, want invalid_client", oerr)
		}
	})

	t.Run("no secret authenticates under the signed-in-user method", func(t *testing.T) {
		f := newFixture(t)
		_, _, oerr := f.issuer.Authenticate("sandbox", tokens.Credentials{Method: tokens.AuthSignedInUser, ClientID: f.sandbox.ID}, here)
		if oerr == nil {
			t.Fatal("Authenticate accepted a request with no secret under AuthSignedInUser")
		}
	})
}
