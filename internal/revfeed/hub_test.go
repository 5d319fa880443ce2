package revfeed

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// fakeSource is a directory the test changes by hand.
type fakeSource struct {
	mu      sync.Mutex
	pos     int64
	records *cache.RevocationRecords
	envs    map[string]*cache.Environment
	changed chan struct{}
}

func newFakeSource(pos int64) *fakeSource {
	return &fakeSource{pos: pos, records: &cache.RevocationRecords{}, changed: make(chan struct{}),
		envs: map[string]*cache.Environment{"sandbox": {Environment: &gatehouse.Environment{Name: "sandbox"}}}}
}

func (f *fakeSource) Position() int64 { f.mu.Lock(); defer f.mu.Unlock(); return f.pos }
func (f *fakeSource) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}
func (f *fakeSource) Revocations() *cache.RevocationRecords {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records
}
func (f *fakeSource) Environments() map[string]*cache.Environment { return f.envs }

// revokeClient records a client revocation at position pos.
func (f *fakeSource) revokeClient(pos int64, env, id string, expires time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	creds := append(append([]*gatehouse.RevokedCredential{}, f.records.Credentials...), &gatehouse.RevokedCredential{
		Kind: gatehouse.RevokedClient, ID: id, ClientID: id, Environment: env, ExpiresAt: expires})
	f.records = &cache.RevocationRecords{Tokens: f.records.Tokens, Credentials: creds}
	f.pos = pos
}

func TestHubResumesFromRetainedEventsAndSnapshotsOtherwise(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	src := newFakeSource(10)
	src.revokeClient(10, "sandbox", "before-start", now.Add(time.Hour))
	src.revokeClient(10, "sandbox", "long-expired", now.Add(-time.Hour))
	h := New(Config{Source: src, Now: func() time.Time { return now }, Retain: 2})

	snap, _, ok := h.Snapshot("sandbox")
	if !ok || snap.ID != 10 || len(snap.Clients) != 1 || snap.Clients[0].ID != "before-start" {
		t.Fatalf("snapshot %+v, want position 10 with the one unexpired revocation", snap)
	}
	if _, _, ok := h.Since("sandbox", 9); ok {
		t.Fatal("a resume from before the hub's start must need a snapshot")
	}
	src.revokeClient(12, "sandbox", "c12", now.Add(time.Hour))
	h.update()
	src.revokeClient(15, "sandbox", "c15", now.Add(time.Hour))
	h.update()

	evs, _, ok := h.Since("sandbox", 10)
	if !ok || len(evs) != 2 || evs[0].ID != 12 || evs[0].Clients[0].ID != "c12" || evs[1].ID != 15 || evs[1].Clients[0].ID != "c15" {
		t.Fatalf("since 10: ok %v, %+v", ok, evs)
	}
	if evs, _, ok := h.Since("sandbox", 12); !ok || len(evs) != 1 || evs[0].ID != 15 {
		t.Fatalf("since 12: ok %v, %+v", ok, evs)
	}
	if evs, _, ok := h.Since("sandbox", 13); !ok || len(evs) != 1 || evs[0].ID != 15 {
		t.Fatalf("since 13 (an id of another replica): ok %v, %+v", ok, evs)
	}
	if evs, _, ok := h.Since("sandbox", 15); !ok || len(evs) != 0 {
		t.Fatalf("since 15: ok %v, %+v", ok, evs)
	}

	src.revokeClient(20, "sandbox", "c20", now.Add(time.Hour)) // the third event: 12 drops out
	h.update()
	if _, _, ok := h.Since("sandbox", 10); ok {
		t.Fatal("a resume from before the retained events must need a snapshot")
	}
	if evs, _, ok := h.Since("sandbox", 12); !ok || len(evs) != 2 {
		t.Fatalf("since 12 after pruning: ok %v, %+v", ok, evs)
	}
	if _, _, ok := h.Since("production", 0); ok {
		t.Fatal("an unknown environment must need a snapshot")
	}
}

func TestHubWakesFollowersOnChange(t *testing.T) {
	src := newFakeSource(1)
	h := New(Config{Source: src})
	_, wait, _ := h.Since("sandbox", 1)
	src.revokeClient(2, "sandbox", "c2", time.Now().Add(time.Hour))
	h.update()
	select {
	case <-wait:
	default:
		t.Fatal("followers were not woken")
	}
}
