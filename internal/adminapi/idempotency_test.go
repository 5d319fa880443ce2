package adminapi

import (
	"context"
	crand "crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
)

// idemFixture is an admin API with a master key and a concurrency-safe
// random source, so that requests may run in parallel.
func idemFixture(t *testing.T) (*fixture, *masterkey.Keyring) {
	t.Helper()
	f := newFixture(t)
	key := make([]byte, masterkey.Size)
	crand.Read(key)
	k, err := masterkey.New(key)
	if err != nil {
		t.Fatal(err)
	}
	f.handler = New(Config{Store: f.store, Authenticate: authenticate, Rand: crand.Reader, Now: f.clock, MasterKey: k})
	return f, k
}

func (f *fixture) postWithKey(t *testing.T, path, key, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(t, "POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+writeToken)
	req.Header.Set("Idempotency-Key", key)
	return serve(f, req)
}

func (f *fixture) countClients(t *testing.T, name string) int {
	t.Helper()
	list, err := f.store.Clients(context.Background(), gatehouse.ClientFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range list {
		if c.Name == name {
			n++
		}
	}
	return n
}

func TestIdempotencyKeyReplaysACreate(t *testing.T) {
	f, _ := idemFixture(t)
	body := `{"environment":"sandbox","name":"idem"}`
	first := f.postWithKey(t, "/admin/v1/clients", "key-1", body)
	if first.Code != http.StatusCreated {
		t.Fatalf("first create: %d %s", first.Code, first.Body)
	}
	second := f.postWithKey(t, "/admin/v1/clients", "key-1", body)
	if second.Code != http.StatusCreated || second.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retried create: %d %v %s", second.Code, second.Header(), second.Body)
	}
	var a, b wire.ClientWithSecret
	decode(t, first, &a)
	decode(t, second, &b)
	if a.ClientID == "" || a.ClientID != b.ClientID || a.ClientSecret == "" || a.ClientSecret != b.ClientSecret {
		t.Fatalf("the retry answered %s/%q, want %s/%q", b.ClientID, b.ClientSecret, a.ClientID, a.ClientSecret)
	}
	if loc := first.Header().Get("Location"); loc != second.Header().Get("Location") {
		t.Fatalf("Location %q, then %q", loc, second.Header().Get("Location"))
	}
	if n := f.countClients(t, "idem"); n != 1 {
		t.Fatalf("%d clients created, want 1", n)
	}

	t.Run("the same key with another body is refused", func(t *testing.T) {
		rec := f.postWithKey(t, "/admin/v1/clients", "key-1", `{"environment":"sandbox","name":"other"}`)
		checkError(t, rec, http.StatusUnprocessableEntity, codeKeyReused)
		if f.countClients(t, "other") != 0 {
			t.Fatal("the refused request created a client")
		}
	})
	t.Run("the same key on another path is refused", func(t *testing.T) {
		rec := f.postWithKey(t, "/admin/v1/clients/"+a.ClientID+"/rotate", "key-1", body)
		checkError(t, rec, http.StatusUnprocessableEntity, codeKeyReused)
	})
	t.Run("another key creates another client", func(t *testing.T) {
		if rec := f.postWithKey(t, "/admin/v1/clients", "key-2", body); rec.Code != http.StatusCreated {
			t.Fatalf("status %d", rec.Code)
		}
		if n := f.countClients(t, "idem"); n != 2 {
			t.Fatalf("%d clients, want 2", n)
		}
	})
	t.Run("the stored answer does not hold the secret in the clear", func(t *testing.T) {
		held, err := f.store.(gatehouse.IdempotencyStore).ReserveIdempotencyKey(context.Background(),
			&gatehouse.IdempotencyRecord{Scope: "client:admin-client", Key: "key-1", RequestHash: []byte("x"), CreatedAt: f.clock()})
		if err != nil || held == nil || held.Status != http.StatusCreated {
			t.Fatalf("stored record %+v, %v", held, err)
		}
		if strings.Contains(string(held.Body), a.ClientSecret) || strings.Contains(string(held.Body), a.ClientID) {
			t.Fatal("the stored answer is not sealed")
		}
	})
	t.Run("a bad key is invalid", func(t *testing.T) {
		checkError(t, f.postWithKey(t, "/admin/v1/clients", "", body), http.StatusBadRequest, gatehouse.EINVALID)
		checkError(t, f.postWithKey(t, "/admin/v1/clients", strings.Repeat("k", 256), body), http.StatusBadRequest, gatehouse.EINVALID)
	})
	t.Run("a refused request is replayed as refused", func(t *testing.T) {
		bad := `{"environment":"nope","name":"x"}`
		first := f.postWithKey(t, "/admin/v1/clients", "key-3", bad)
		second := f.postWithKey(t, "/admin/v1/clients", "key-3", bad)
		if first.Code != second.Code || first.Body.String() != second.Body.String() || first.Code < 400 {
			t.Fatalf("%d %s, then %d %s", first.Code, first.Body, second.Code, second.Body)
		}
	})
}

func TestIdempotencyKeyConcurrentCreatesMakeOne(t *testing.T) {
	f, _ := idemFixture(t)
	body := `{"environment":"sandbox","name":"concurrent"}`
	var wg sync.WaitGroup
	codes := make([]int, 6)
	ids := make([]string, 6)
	recs := make([]*httptest.ResponseRecorder, 6)
	for i := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs[i] = f.postWithKey(t, "/admin/v1/clients", "same-key", body)
		}()
	}
	wg.Wait()
	for i, rec := range recs {
		codes[i] = rec.Code
		if rec.Code == http.StatusCreated {
			var c wire.ClientWithSecret
			decode(t, rec, &c)
			ids[i] = c.ClientID
		} else {
			checkError(t, rec, http.StatusConflict, codeKeyInProgress)
		}
	}
	if n := f.countClients(t, "concurrent"); n != 1 {
		t.Fatalf("%d clients created by concurrent requests with one key, want 1 (statuses %v)", n, codes)
	}
	var id string
	for _, got := range ids {
		if got != "" && id != "" && got != id {
			t.Fatalf("answers name clients %v", ids)
		} else if got != "" {
			id = got
		}
	}
	if id == "" {
		t.Fatalf("no request created the client: %v", codes)
	}
}
