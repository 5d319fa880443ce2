package keyrotation_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
	"github.com/gatehouse-dev/gatehouse/internal/keyrotation"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// clock is a time source the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const (
	delay       = time.Hour
	rotateAfter = 30 * 24 * time.Hour
	margin      = 10 * time.Minute
	issuerBase  = "https://auth.example.com/realms/"
)

// fixture is a rotator, a credential cache and an issuer over one store,
// with a sandbox environment that has an active ES256 key and a client
// whose tokens live for an hour (the environment's live for five minutes).
type fixture struct {
	store   gatehouse.Store
	clock   *clock
	rotator *keyrotation.Rotator
	dir     *cache.Directory
	issuer  *tokens.Issuer
	client  *gatehouse.Client
	first   *gatehouse.SigningKey
}

func newFixture(t *testing.T, store gatehouse.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f := &fixture{store: store, clock: clk}
	if err := store.CreateEnvironment(ctx, &gatehouse.Environment{
		Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256, Tokens: gatehouse.DefaultTokenSettings(),
		Limits: gatehouse.DefaultRateLimits(), CreatedAt: clk.Now(), UpdatedAt: clk.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	k, err := keys.Generate("sandbox", gatehouse.AlgES256, gatehouse.KeyActive, rand.Reader, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateSigningKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	f.first = k
	acct := &gatehouse.Account{Name: "Acme", CreatedAt: clk.Now()}
	if err := store.CreateAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	hour := time.Hour
	f.client = &gatehouse.Client{
		ID: "client-1", Environment: "sandbox", AccountID: acct.ID, Name: "acme", Scopes: []string{"ledger:read"},
		Status: gatehouse.ClientActive, Tokens: gatehouse.TokenOverrides{Lifetime: &hour},
		Secrets:   []gatehouse.Secret{{Hash: gatehouse.HashSecret("s3cret"), CreatedAt: clk.Now()}},
		CreatedAt: clk.Now(), UpdatedAt: clk.Now(),
	}
	if err := store.CreateClient(ctx, f.client); err != nil {
		t.Fatal(err)
	}
	f.rotator = f.newRotator(store)
	f.dir = cache.New(cache.Config{Store: store, Now: clk.Now})
	if err := f.dir.Load(ctx); err != nil {
		t.Fatal(err)
	}
	f.issuer = tokens.NewIssuer(tokens.Config{
		Directory: f.dir, Store: store, IssuerURL: func(env string) string { return issuerBase + env },
		Now: clk.Now, Rand: rand.Reader,
	})
	return f
}

func (f *fixture) newRotator(store gatehouse.Store) *keyrotation.Rotator {
	return keyrotation.New(keyrotation.Config{
		Store: store, Now: f.clock.Now, Rand: rand.Reader,
		PublicationDelay: delay, RotateAfter: rotateAfter, RetireMargin: margin,
	})
}

func newSQLiteStore(t *testing.T) gatehouse.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "gh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// advance runs Advance and makes the cache see its result.
func (f *fixture) advance(t *testing.T) bool {
	t.Helper()
	changed, err := f.rotator.Advance(context.Background(), "sandbox")
	if err != nil {
		t.Fatalf("Advance: %v", err)
	}
	if err := f.dir.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return changed
}

// token issues a token to the client and returns it with the kid that
// signed it.
func (f *fixture) token(t *testing.T) (token, kid string) {
	t.Helper()
	tok, oerr := f.issuer.Issue(context.Background(), &tokens.Request{
		Environment: "sandbox", GrantType: tokens.GrantClientCredentials,
		Credentials: tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.client.ID, Secret: "s3cret"},
		RemoteIP:    netip.MustParseAddr("192.0.2.1"), Dialect: "standard",
	})
	if oerr != nil {
		t.Fatalf("Issue: %v", oerr)
	}
	head, _, _ := strings.Cut(tok.AccessToken, ".")
	b, _ := base64.RawURLEncoding.DecodeString(head)
	var h struct {
		Kid string `json:"kid"`
	}
	json.Unmarshal(b, &h)
	return tok.AccessToken, h.Kid
}

// active reports whether introspection finds token active.
func (f *fixture) active(t *testing.T, token string) bool {
	t.Helper()
	res, oerr := f.issuer.Introspect("sandbox",
		tokens.Credentials{Method: tokens.AuthClientSecretBasic, ClientID: f.client.ID, Secret: "s3cret"}, netip.MustParseAddr("127.0.0.1"), token)
	if oerr != nil {
		t.Fatalf("Introspect: %v", oerr)
	}
	return res.Active
}

// published returns the kids in the environment's JWKS.
func (f *fixture) published(t *testing.T) []string {
	t.Helper()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(f.dir.Environment("sandbox").Keys.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

func (f *fixture) isPublished(t *testing.T, kid string) bool {
	t.Helper()
	for _, k := range f.published(t) {
		if k == kid {
			return true
		}
	}
	return false
}

func (f *fixture) stateOf(t *testing.T, kid string) *gatehouse.SigningKey {
	t.Helper()
	list, err := f.store.SigningKeys(context.Background(), "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list {
		if k.ID == kid {
			return k
		}
	}
	return nil
}

func TestRotationTimeline(t *testing.T) {
	f := newFixture(t, newSQLiteStore(t))
	ctx := context.Background()
	old := f.first.ID

	next, err := f.rotator.Rotate(ctx, "sandbox", gatehouse.AlgEdDSA)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if err := f.dir.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("the next key is published at once but does not sign", func(t *testing.T) {
		if next.State != gatehouse.KeyNext || next.Algorithm != gatehouse.AlgEdDSA {
			t.Fatalf("new key is %s %s, want a next EdDSA key", next.State, next.Algorithm)
		}
		if !f.isPublished(t, next.ID) || !f.isPublished(t, old) {
			t.Fatalf("JWKS has %v, want both %s and %s", f.published(t), old, next.ID)
		}
		if _, kid := f.token(t); kid != old {
			t.Fatalf("token signed by %s, want the active key %s", kid, old)
		}
	})

	t.Run("a second rotation while one is under way is a conflict that says when", func(t *testing.T) {
		_, err := f.rotator.Rotate(ctx, "sandbox", "")
		if !errors.Is(err, gatehouse.ErrConflict) || !strings.Contains(err.Error(), next.ID) {
			t.Fatalf("Rotate: %v, want a conflict naming %s", err, next.ID)
		}
	})

	var oldToken string
	t.Run("the next key is not promoted before the publication delay", func(t *testing.T) {
		f.clock.Add(delay - time.Second)
		if f.advance(t) {
			t.Fatal("Advance changed something before the delay")
		}
		var kid string
		oldToken, kid = f.token(t)
		if kid != old {
			t.Fatalf("token signed by %s one second before the delay, want %s", kid, old)
		}
	})

	var promotedAt time.Time
	t.Run("after the delay the next key signs and the old one is retired", func(t *testing.T) {
		f.clock.Add(time.Second)
		promotedAt = f.clock.Now()
		if !f.advance(t) {
			t.Fatal("Advance changed nothing after the delay")
		}
		if _, kid := f.token(t); kid != next.ID {
			t.Fatalf("token signed by %s, want the promoted key %s", kid, next.ID)
		}
		retired := f.stateOf(t, old)
		// The longest lifetime is the client's override (1h), not the
		// environment's 5 minutes.
		if want := promotedAt.Add(time.Hour + margin); retired.State != gatehouse.KeyRetired || !retired.RemoveAt.Equal(want) {
			t.Fatalf("old key is %s, RemoveAt %v; want retired, %v", retired.State, retired.RemoveAt, want)
		}
		if !f.active(t, oldToken) {
			t.Fatal("a token signed by the retired key no longer introspects as active")
		}
	})

	t.Run("the retired key stays published until its RemoveAt, then disappears", func(t *testing.T) {
		f.clock.Add(time.Hour + margin - time.Second)
		f.advance(t)
		if !f.isPublished(t, old) {
			t.Fatalf("retired key left the JWKS a second before RemoveAt: %v", f.published(t))
		}
		f.clock.Add(time.Second)
		if !f.advance(t) {
			t.Fatal("Advance changed nothing at RemoveAt")
		}
		if f.isPublished(t, old) || f.stateOf(t, old) != nil {
			t.Fatalf("retired key still published (%v) or stored after RemoveAt", f.published(t))
		}
		if !f.isPublished(t, next.ID) {
			t.Fatalf("the active key is not published: %v", f.published(t))
		}
	})
}

func TestAutomaticRotation(t *testing.T) {
	f := newFixture(t, newSQLiteStore(t))
	ctx := context.Background()

	t.Run("no rotation starts before the active key is RotateAfter old", func(t *testing.T) {
		f.clock.Add(rotateAfter - time.Second)
		if f.advance(t) {
			t.Fatal("Advance rotated early")
		}
	})
	t.Run("a rotation starts when it is, with the environment's algorithm", func(t *testing.T) {
		f.clock.Add(time.Second)
		if !f.advance(t) {
			t.Fatal("Advance did not rotate")
		}
		list, _ := f.store.SigningKeys(ctx, "sandbox")
		var next *gatehouse.SigningKey
		for _, k := range list {
			if k.State == gatehouse.KeyNext {
				next = k
			}
		}
		if next == nil || next.Algorithm != gatehouse.AlgES256 {
			t.Fatalf("keys after the rotation: %+v; want a next ES256 key", list)
		}
		if f.advance(t) {
			t.Fatal("a second Advance at the same instant changed something")
		}
		f.clock.Add(delay)
		if !f.advance(t) || f.stateOf(t, next.ID).State != gatehouse.KeyActive {
			t.Fatal("the automatically created key was not promoted after the delay")
		}
	})
	t.Run("with RotateAfter zero nothing rotates by itself", func(t *testing.T) {
		manual := keyrotation.New(keyrotation.Config{Store: f.store, Now: f.clock.Now, PublicationDelay: delay})
		f.clock.Add(10 * rotateAfter)
		changed, err := manual.Advance(ctx, "sandbox")
		if err != nil {
			t.Fatal(err)
		}
		list, _ := f.store.SigningKeys(ctx, "sandbox")
		for _, k := range list {
			if k.State == gatehouse.KeyNext {
				t.Fatalf("a manual-only rotator created key %s (changed=%v)", k.ID, changed)
			}
		}
	})
}

func TestRotateChecksItsInput(t *testing.T) {
	f := newFixture(t, newSQLiteStore(t))
	ctx := context.Background()
	if _, err := f.rotator.Rotate(ctx, "nowhere", ""); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("Rotate of an unknown environment: %v, want not found", err)
	}
	if _, err := f.rotator.Rotate(ctx, "sandbox", "HS256"); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
		t.Errorf("Rotate with HS256: %v, want invalid", err)
	}
	k, err := f.rotator.Rotate(ctx, "sandbox", gatehouse.AlgRS256)
	if err != nil || k.Algorithm != gatehouse.AlgRS256 {
		t.Fatalf("Rotate with RS256: %v, %+v", err, k)
	}
	f.clock.Add(delay)
	f.advance(t)
	if _, kid := f.token(t); kid != k.ID {
		t.Fatalf("token signed by %s, want the RS256 key %s", kid, k.ID)
	}
}

// TestConcurrentRotationOnPostgreSQL starts rotations from several
// "replicas" (each its own connection pool and rotator) at once: exactly one
// next key results, and promoting it at once promotes it once.
func TestConcurrentRotationOnPostgreSQL(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	open := func() gatehouse.Store {
		st, err := sqlstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	first := open()
	if err := first.(*sqlstore.Store).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, first)
	const replicas = 6
	rotators := make([]*keyrotation.Rotator, replicas)
	for i := range rotators {
		rotators[i] = f.newRotator(open())
	}
	ctx := context.Background()

	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i, r := range rotators {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = r.Rotate(ctx, "sandbox", "") }()
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, gatehouse.ErrConflict):
			t.Errorf("Rotate: %v, want nil or a conflict", err)
		}
	}
	list, _ := first.SigningKeys(ctx, "sandbox")
	nexts := 0
	for _, k := range list {
		if k.State == gatehouse.KeyNext {
			nexts++
		}
	}
	if created != 1 || nexts != 1 {
		t.Fatalf("%d rotations succeeded and %d next keys exist, want 1 and 1", created, nexts)
	}

	f.clock.Add(delay)
	changedCount := 0
	var mu sync.Mutex
	for _, r := range rotators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			changed, err := r.Advance(ctx, "sandbox")
			if err != nil {
				t.Errorf("Advance: %v", err)
			}
			if changed {
				mu.Lock()
				changedCount++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	list, _ = first.SigningKeys(ctx, "sandbox")
	count := map[string]int{}
	for _, k := range list {
		count[k.State]++
	}
	if changedCount != 1 || count[gatehouse.KeyActive] != 1 || count[gatehouse.KeyRetired] != 1 || count[gatehouse.KeyNext] != 0 {
		t.Fatalf("after concurrent promotion: %d replicas changed something, keys by state %v; want 1 and one active, one retired", changedCount, count)
	}
}

// noClientLists is a store on which listing clients fails the test: a
// rotation must not read every client of an environment, which may hold
// millions (it once did, and a rotation under load took minutes).
type noClientLists struct {
	gatehouse.Store
	t *testing.T
}

func (s noClientLists) Clients(context.Context, gatehouse.ClientFilter) ([]*gatehouse.Client, error) {
	s.t.Error("the rotation listed the environment's clients")
	return nil, errors.New("listing clients is not allowed here")
}

func TestRotationReadsNoClientList(t *testing.T) {
	f := newFixture(t, newSQLiteStore(t))
	ctx := context.Background()
	r := f.newRotator(noClientLists{f.store, t})
	long := 7 * time.Hour
	c := &gatehouse.Client{
		ID: "client-2", Environment: "sandbox", AccountID: f.client.AccountID, Name: "long", Status: gatehouse.ClientActive,
		Tokens:    gatehouse.TokenOverrides{Lifetime: &long},
		Secrets:   []gatehouse.Secret{{Hash: gatehouse.HashSecret("other"), CreatedAt: f.clock.Now()}},
		CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now(),
	}
	if err := f.store.CreateClient(ctx, c); err != nil {
		t.Fatal(err)
	}

	next, err := r.Rotate(ctx, "sandbox", "")
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	f.clock.Add(delay)
	if changed, err := r.Advance(ctx, "sandbox"); err != nil || !changed {
		t.Fatalf("Advance after the delay: changed %v, %v", changed, err)
	}
	// The retired key stays published for the longest client override
	// (7h), read without listing the clients.
	if k, want := f.stateOf(t, f.first.ID), f.clock.Now().Add(long+margin); k.State != gatehouse.KeyRetired || !k.RemoveAt.Equal(want) {
		t.Fatalf("first key is %s with RemoveAt %v, want retired with %v", k.State, k.RemoveAt, want)
	}
	now, err := r.RotateNow(ctx, "sandbox", "")
	if err != nil {
		t.Fatalf("RotateNow: %v", err)
	}
	if k, want := f.stateOf(t, next.ID), f.clock.Now().Add(long+margin); k.State != gatehouse.KeyRetired || !k.RemoveAt.Equal(want) {
		t.Fatalf("promoted key after RotateNow is %s with RemoveAt %v, want retired with %v", k.State, k.RemoveAt, want)
	}
	if k := f.stateOf(t, now.ID); k.State != gatehouse.KeyActive {
		t.Fatalf("the immediate key is %s, want active", k.State)
	}
}
