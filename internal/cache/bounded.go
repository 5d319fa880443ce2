package cache

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/gatehouse-dev/gatehouse"
)

// boundedClients is a fixed-size set of clients keyed by id, evicted by
// CLOCK (second chance): a hit sets the entry's reference bit, and an insert
// into a full shard sweeps the shard's ring, clearing set bits and replacing
// the first entry whose bit is clear. Hits take a read lock only, and most
// write nothing (the bit is already set), so hot clients cost no contention.
//
// The same type, holding nil clients, is the cache of ids known to be
// absent; the two are separate so that absent ids can never evict clients.
type boundedClients struct {
	seed   maphash.Seed
	shards []clientShard
}

type clientShard struct {
	mu    sync.RWMutex
	index map[string]int32 // id → position in slots
	slots []clientSlot
	hand  int
	limit int
}

type clientSlot struct {
	id     string
	client *gatehouse.Client
	ref    uint32 // accessed atomically: 1 after a hit since the last sweep
}

// newBoundedClients returns a set that holds at most about limit clients
// (at least 1). Large sets are split into 64 shards to spread the locks.
func newBoundedClients(limit int) *boundedClients {
	limit = max(limit, 1)
	n := 1
	if limit >= 4096 {
		n = 64
	}
	b := &boundedClients{seed: maphash.MakeSeed(), shards: make([]clientShard, n)}
	per := (limit + n - 1) / n
	for i := range b.shards {
		b.shards[i] = clientShard{index: make(map[string]int32), limit: per}
	}
	return b
}

func (b *boundedClients) shard(id string) *clientShard {
	if len(b.shards) == 1 {
		return &b.shards[0]
	}
	return &b.shards[maphash.String(b.seed, id)%uint64(len(b.shards))]
}

// get returns the client stored for id and whether there is an entry.
func (b *boundedClients) get(id string) (*gatehouse.Client, bool) {
	s := b.shard(id)
	s.mu.RLock()
	i, ok := s.index[id]
	var c *gatehouse.Client
	if ok {
		slot := &s.slots[i]
		c = slot.client
		if atomic.LoadUint32(&slot.ref) == 0 {
			atomic.StoreUint32(&slot.ref, 1)
		}
	}
	s.mu.RUnlock()
	return c, ok
}

// put stores c for id, evicting another entry if the shard is full, but only
// if valid (called under the shard's lock) still reports true: a load that
// raced an invalidation must not store what it read.
func (b *boundedClients) put(id string, c *gatehouse.Client, valid func() bool) {
	s := b.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if valid != nil && !valid() {
		return
	}
	if i, ok := s.index[id]; ok {
		s.slots[i].client = c
		return
	}
	if len(s.slots) < s.limit {
		s.index[id] = int32(len(s.slots))
		s.slots = append(s.slots, clientSlot{id: id, client: c})
		return
	}
	for {
		if s.hand >= len(s.slots) {
			s.hand = 0
		}
		slot := &s.slots[s.hand]
		if atomic.LoadUint32(&slot.ref) == 1 {
			atomic.StoreUint32(&slot.ref, 0)
			s.hand++
			continue
		}
		delete(s.index, slot.id)
		slot.id, slot.client = id, c
		s.index[id] = int32(s.hand)
		s.hand++
		return
	}
}

// update replaces the entry for id if there is one, and reports whether
// there was.
func (b *boundedClients) update(id string, c *gatehouse.Client) bool {
	s := b.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[id]
	if ok {
		s.slots[i].client = c
	}
	return ok
}

// remove deletes the entry for id, if any.
func (b *boundedClients) remove(id string) {
	s := b.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[id]
	if !ok {
		return
	}
	last := len(s.slots) - 1
	if int(i) != last {
		moved := s.slots[last]
		s.slots[i] = clientSlot{id: moved.id, client: moved.client, ref: atomic.LoadUint32(&s.slots[last].ref)}
		s.index[moved.id] = i
	}
	s.slots[last] = clientSlot{}
	s.slots = s.slots[:last]
	delete(s.index, id)
}

// clear removes every entry.
func (b *boundedClients) clear() {
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		s.index = make(map[string]int32)
		s.slots, s.hand = nil, 0
		s.mu.Unlock()
	}
}

// len returns the number of entries.
func (b *boundedClients) len() int {
	n := 0
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.RLock()
		n += len(s.slots)
		s.mu.RUnlock()
	}
	return n
}
