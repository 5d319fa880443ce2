package adminapi

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// faultyStore is a real store with faults injected around some calls.
type faultyStore struct {
	gatehouse.Store
	*faults
	inTx bool // the Store is bound to a transaction
}

type faults struct {
	failCreateClient bool        // CreateClient fails
	readsFail        atomic.Bool // Client fails (set once a change commits)
	failReadsAfter   bool        // set readsFail once a change commits

	mu sync.Mutex
	// beforeWrite runs once, just before the first write (a transaction or
	// an UpdateClient): what another request commits meanwhile.
	beforeWrite func(s gatehouse.Store)
}

var errInjected = errors.New("injected fault")

func newFaultyStore(t *testing.T, f *faults) *faultyStore {
	return &faultyStore{Store: openStore(t), faults: f}
}

func (s *faultyStore) runHook() {
	s.mu.Lock()
	hook := s.beforeWrite
	s.beforeWrite = nil
	s.mu.Unlock()
	if hook != nil {
		hook(s.Store)
	}
}

func (s *faultyStore) InTx(ctx context.Context, fn func(tx gatehouse.Store) error) error {
	if !s.inTx {
		s.runHook()
	}
	err := s.Store.InTx(ctx, func(tx gatehouse.Store) error {
		return fn(&faultyStore{Store: tx, faults: s.faults, inTx: true})
	})
	if err == nil && !s.inTx && s.failReadsAfter {
		s.readsFail.Store(true)
	}
	return err
}

func (s *faultyStore) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	if s.failCreateClient {
		return errInjected
	}
	return s.Store.CreateClient(ctx, c)
}

func (s *faultyStore) Client(ctx context.Context, id string) (*gatehouse.Client, error) {
	if s.readsFail.Load() {
		return nil, errInjected
	}
	return s.Store.Client(ctx, id)
}

func (s *faultyStore) UpdateClient(ctx context.Context, c *gatehouse.Client) error {
	if !s.inTx {
		s.runHook()
	}
	err := s.Store.UpdateClient(ctx, c)
	if err == nil && !s.inTx && s.failReadsAfter {
		s.readsFail.Store(true)
	}
	return err
}

func TestCreateClientWithoutAccountLeavesNoOrphanAccount(t *testing.T) {
	store := newFaultyStore(t, &faults{failCreateClient: true})
	f := newFixtureWithStore(t, store)
	rec := f.do(t, "POST", "/admin/v1/clients", writeToken, `{"environment":"sandbox","name":"acme"}`)
	checkError(t, rec, http.StatusInternalServerError, gatehouse.EINTERNAL)
	accounts, err := store.Store.Accounts(context.Background(), gatehouse.AccountFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 0 {
		t.Fatalf("a failed client creation left accounts %+v behind", accounts[0])
	}
}

func TestCommittedChangeIsAnsweredAsSuccess(t *testing.T) {
	store := newFaultyStore(t, &faults{})
	f := newFixtureWithStore(t, store)
	f.refreshErr = errInjected // the cache refresh fails too
	c := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
	store.failReadsAfter = true // every read after the rotation commits fails

	var rotated wire.ClientWithSecret
	decode(t, f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+c.ClientID+"/rotate", writeToken, ""), &rotated)
	stored, err := store.Store.Client(context.Background(), c.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.ClientSecret == "" || !stored.VerifySecret(rotated.ClientSecret, startTime) {
		t.Fatal("the answer does not hold the committed new secret")
	}
	if len(rotated.Secrets) != 1 || rotated.Secrets[0].ID != stored.Secrets[0].ID {
		t.Errorf("answer secrets %+v, stored %+v", rotated.Secrets, stored.Secrets)
	}
}

func TestClientUpdateRacingRevokeKeepsTheRevocation(t *testing.T) {
	store := newFaultyStore(t, &faults{})
	f := newFixtureWithStore(t, store)
	c := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
	store.beforeWrite = func(s gatehouse.Store) {
		// A revoke commits after the update read the client, before it writes.
		if _, err := s.RevokeClient(context.Background(), c.ClientID, startTime); err != nil {
			t.Errorf("revoke: %v", err)
		}
	}
	rec := f.do(t, "PATCH", "/admin/v1/clients/"+c.ClientID, writeToken, `{"name":"renamed"}`)
	stored, err := store.Store.Client(context.Background(), c.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != gatehouse.ClientRevoked {
		t.Fatalf("the update (status %d) overwrote a concurrent revocation: client is %s", rec.Code, stored.Status)
	}
	switch rec.Code {
	case http.StatusOK:
		if stored.Name != "renamed" {
			t.Errorf("update answered 200 but name is %q", stored.Name)
		}
	case http.StatusConflict:
	default:
		t.Fatalf("status %d, want 200 (retried) or 409; body %s", rec.Code, rec.Body)
	}
}

func TestACallerRotatingItsOwnCredentialIsRecordedAsItself(t *testing.T) {
	store := openStore(t)
	f := &fixture{store: store, now: startTime}
	// The caller authenticates with a client's API key, checked against
	// the store on every call, as the server does.
	byAPIKey := func(r *http.Request) (*gatehouse.Principal, error) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "no credential")
		}
		id, secret, err := gatehouse.ParseAPIKey(key)
		if err != nil {
			return authenticate(r)
		}
		c, err := store.Client(r.Context(), id)
		if err != nil || !c.VerifySecret(secret, f.clock()) {
			return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "bad credential")
		}
		return &gatehouse.Principal{ClientID: c.ID, Environment: c.Environment, Scopes: []string{gatehouse.ScopeAdminWrite}}, nil
	}
	f.handler = New(Config{Store: store, Authenticate: byAPIKey, Rand: rand.NewChaCha8([32]byte{3}), Now: f.clock, Audit: store})
	own := f.createClient(t, `{"environment":"sandbox","name":"self"}`)

	rec := f.do(t, "POST", "/admin/v1/clients/"+own.ClientID+"/rotate", own.APIKey, `{"grace_seconds":0}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	rec = f.do(t, "POST", "/admin/v1/clients/"+own.ClientID+"/revoke", own.APIKey, "")
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("the rotated-out key still works: %d", rec.Code)
	}
	events, err := store.AuditEvents(context.Background(), gatehouse.AuditFilter{Object: "client:" + own.ClientID, Action: "client.rotate"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Actor != "client:"+own.ClientID || events[0].SourceIP != "192.0.2.1" {
		t.Fatalf("rotation audit records %+v, want one by client:%s", events, own.ClientID)
	}
}
