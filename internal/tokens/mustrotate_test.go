package tokens_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// failureLog is a Guard that admits everything and remembers the reasons of
// failed authentications and the errors requests ended with.
type failureLog struct {
	mu      sync.Mutex
	reasons []string
	done    []*tokens.Error
}

func (g *failureLog) Admit(context.Context, *tokens.Request, *cache.Environment, *gatehouse.Client) *tokens.Error {
	return nil
}
func (g *failureLog) Banned(context.Context, *tokens.Request, *cache.Environment) *tokens.Error {
	return nil
}
func (g *failureLog) AdmitClient(context.Context, *tokens.Request, *cache.Environment, *gatehouse.Client) *tokens.Error {
	return nil
}
func (g *failureLog) AuthFailed(_ context.Context, _ *tokens.Request, _ *cache.Environment, _ *gatehouse.Client, reason string) *tokens.Error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reasons = append(g.reasons, reason)
	return nil
}
func (g *failureLog) AllowlistDenied(context.Context, *tokens.Request, *cache.Environment, *gatehouse.Client) *tokens.Error {
	return nil
}
func (g *failureLog) Done(_ context.Context, _ *tokens.Request, _ *cache.Environment, _ *tokens.Token, oerr *tokens.Error, _ time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done = append(g.done, oerr)
}

func (g *failureLog) last() (string, *tokens.Error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reasons[len(g.reasons)-1], g.done[len(g.done)-1]
}

// TestMustRotateClientIsRefusedLikeAWrongSecret: a client in the must-rotate
// state gets the very answer of a wrong secret for any secret, at the token
// endpoint and for introspection, while the guard learns the reason
// must_rotate; its private_key_jwt keys still work; once a secret is given
// and the flag cleared, the secret works.
func TestMustRotateClientIsRefusedLikeAWrongSecret(t *testing.T) {
	f := newFixture(t)
	log := &failureLog{}
	f.issuer = tokens.NewIssuer(tokens.Config{
		Directory: f.dir, Store: f.store, IssuerURL: func(env string) string { return issuerBase + env },
		Now: f.clock.Now, Rand: rand.Reader, MaxStaleness: time.Minute, Guard: log,
	})
	ctx := context.Background()

	_, wrong := f.issuer.Issue(ctx, f.request(func(r *tokens.Request) { r.Credentials.Secret = "not-the-secret" }))
	if wrong == nil || wrong.Reason != "" {
		t.Fatalf("a wrong secret: %+v", wrong)
	}
	if reason, _ := log.last(); reason != "" {
		t.Fatalf("a wrong secret was recorded with reason %q", reason)
	}

	c, err := f.store.Client(ctx, f.sandbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.MustRotate = true
	if err := f.store.UpdateClient(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	for name, secret := range map[string]string{"its old secret": "sandbox-secret", "another secret": "not-the-secret", "no secret": ""} {
		_, got := f.issuer.Issue(ctx, f.request(func(r *tokens.Request) { r.Credentials.Secret = secret }))
		if got == nil || got.Code != wrong.Code || got.Description != wrong.Description || got.Status != wrong.Status ||
			got.RetryAfter != wrong.RetryAfter {
			t.Fatalf("%s: %+v; want the answer of a wrong secret %+v", name, got, wrong)
		}
		reason, done := log.last()
		if got.Reason != tokens.ReasonMustRotate || reason != tokens.ReasonMustRotate || done.Reason != tokens.ReasonMustRotate {
			t.Fatalf("%s: reason %q, guard told %q and %q; want %q", name, got.Reason, reason, done.Reason, tokens.ReasonMustRotate)
		}
	}
	if _, _, oerr := f.issuer.Authenticate("sandbox", f.request(nil).Credentials, f.request(nil).RemoteIP); oerr == nil ||
		oerr.Reason != tokens.ReasonMustRotate {
		t.Fatalf("Authenticate (introspection, revocation) = %+v; want the must_rotate refusal", oerr)
	}

	if tok, _, oerr := f.issuer.IssueTestToken(ctx, c.ID, f.request(nil).RemoteIP); tok != nil || oerr == nil ||
		oerr.Reason != tokens.ReasonMustRotate {
		t.Fatalf("a dashboard test token of a must-rotate client = %v, %+v; want the must_rotate refusal", tok, oerr)
	}

	t.Run("its private_key_jwt keys still work", func(t *testing.T) {
		key := newClientKey(t, "k1", jose.ES256)
		f.registerKeys(t, c, key)
		tok, oerr := f.issuer.Issue(ctx, f.assertionRequest(key.sign(t, assertionClaims(c.ID, f.clock.Now()))))
		if oerr != nil || tok == nil {
			t.Fatalf("private_key_jwt of a must-rotate client: %v", oerr)
		}
	})

	t.Run("a rotation that clears the flag lets the new secret in", func(t *testing.T) {
		c, err := f.store.Client(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.MustRotate = false
		c.Secrets = []gatehouse.Secret{{Hash: gatehouse.HashSecret("fresh-secret"), CreatedAt: f.clock.Now()}}
		if err := f.store.UpdateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := f.dir.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if _, oerr := f.issuer.Issue(ctx, f.request(func(r *tokens.Request) { r.Credentials.Secret = "fresh-secret" })); oerr != nil {
			t.Fatalf("the new secret: %v", oerr)
		}
	})
}
