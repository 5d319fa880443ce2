package adminapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// faultyStore is a real store with faults injected around some calls.
type faultyStore struct {
	gatehouse.Store
	failCreateClient bool        // CreateClient fails
	readsFail        atomic.Bool // Client and Clients fail (set after a mutation commits)
	failReadsAfter   bool        // set readsFail once UpdateClient or RevokeClient commits

	mu           sync.Mutex
	beforeUpdate func(s gatehouse.Store) // runs once, just before UpdateClient
}

var errInjected = errors.New("injected fault")

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
	s.mu.Lock()
	hook := s.beforeUpdate
	s.beforeUpdate = nil
	s.mu.Unlock()
	if hook != nil {
		hook(s.Store)
	}
	err := s.Store.UpdateClient(ctx, c)
	if err == nil && s.failReadsAfter {
		s.readsFail.Store(true)
	}
	return err
}

func TestCreateClientWithoutAccountLeavesNoOrphanAccount(t *testing.T) {
	store := &faultyStore{Store: openStore(t), failCreateClient: true}
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
	store := &faultyStore{Store: openStore(t), failReadsAfter: true}
	f := newFixtureWithStore(t, store)
	f.refreshErr = errInjected // the cache refresh fails too
	c := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)

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
	store := &faultyStore{Store: openStore(t)}
	f := newFixtureWithStore(t, store)
	c := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
	store.beforeUpdate = func(s gatehouse.Store) {
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
