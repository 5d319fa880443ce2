package cache

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"unsafe"
)

// boundedSet is a fixed-size set of values keyed by client id, evicted by
// CLOCK (second chance): a hit sets the entry's reference bit, and an insert
// into a full shard sweeps the shard's ring, clearing set bits and replacing
// the first entry whose bit is clear. Hits take a read lock only, and most
// write nothing (the bit is already set), so hot clients cost no contention.
//
// Entries live by value in one slice per shard, and the index maps the
// 64-bit hash of an id (not the id) to a position, so the index holds no
// pointer for the garbage collector to follow and an entry costs no
// allocation of its own beyond its id. Two ids with the same hash share a
// position: the entry keeps the id it was stored for, a lookup of the other
// id misses, and storing the other replaces it. That costs at worst a store
// read, never a wrong answer.
//
// A hit may also keep a value of type H derived from the entry (the
// gatehouse.Client a lookup hands out, built from a compact entry): it is
// built on the first hit, reused by later hits, and dropped when the sweep
// clears the entry's reference bit, so that only entries in use carry it.
//
// The cache of clients (V = clientEntry) and the cache of ids known to be
// absent (V = struct{}) are separate sets, so that absent ids can never
// evict clients.
type boundedSet[V, H any] struct {
	seed      maphash.Seed
	shards    []setShard[V]
	evictions atomic.Uint64
}

type setShard[V any] struct {
	mu    sync.RWMutex
	index map[uint64]int32 // hash of id → position in slots
	slots []setSlot[V]
	hand  int
	limit int
}

type setSlot[V any] struct {
	id    string
	value V
	ref   uint32         // accessed atomically: 1 after a hit since the last sweep
	hit   unsafe.Pointer // accessed atomically: the *H derived on a hit, or nil
}

// newBoundedSet returns a set that holds at most about limit entries (at
// least 1). Large sets are split into 64 shards to spread the locks.
func newBoundedSet[V, H any](limit int) *boundedSet[V, H] {
	limit = max(limit, 1)
	n := 1
	if limit >= 4096 {
		n = 64
	}
	b := &boundedSet[V, H]{seed: maphash.MakeSeed(), shards: make([]setShard[V], n)}
	per := (limit + n - 1) / n
	for i := range b.shards {
		b.shards[i] = setShard[V]{index: make(map[uint64]int32), limit: per}
	}
	return b
}

// locate returns the shard of id and id's key in it.
func (b *boundedSet[V, H]) locate(id string) (*setShard[V], uint64) {
	h := maphash.String(b.seed, id)
	return &b.shards[h%uint64(len(b.shards))], h
}

// get returns the value derived from the entry for id (derive builds it on
// the first hit; nil derive gives nil) and whether there is an entry.
func (b *boundedSet[V, H]) get(id string, derive func(id string, v *V) *H) (*H, bool) {
	s, h := b.locate(id)
	var out *H
	s.mu.RLock()
	i, ok := s.index[h]
	if ok {
		slot := &s.slots[i]
		if ok = slot.id == id; ok {
			if atomic.LoadUint32(&slot.ref) == 0 {
				atomic.StoreUint32(&slot.ref, 1)
			}
			if derive != nil {
				if p := atomic.LoadPointer(&slot.hit); p != nil {
					out = (*H)(p)
				} else {
					out = derive(id, &slot.value)
					if !atomic.CompareAndSwapPointer(&slot.hit, nil, unsafe.Pointer(out)) {
						out = (*H)(atomic.LoadPointer(&slot.hit))
					}
				}
			}
		}
	}
	s.mu.RUnlock()
	return out, ok
}

// has reports whether id has an entry, without marking it used.
func (b *boundedSet[V, H]) has(id string) bool {
	s, h := b.locate(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.index[h]
	return ok && s.slots[i].id == id
}

// put stores v for id, evicting another entry if the shard is full, but only
// if valid (called under the shard's lock) still reports true: a load that
// raced an invalidation must not store what it read.
func (b *boundedSet[V, H]) put(id string, v V, valid func() bool) {
	s, h := b.locate(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if valid != nil && !valid() {
		return
	}
	if i, ok := s.index[h]; ok {
		s.slots[i] = setSlot[V]{id: id, value: v}
		return
	}
	if len(s.slots) < s.limit {
		if len(s.slots) == cap(s.slots) { // grow, but never past the limit
			grown := make([]setSlot[V], len(s.slots), min(max(2*cap(s.slots), 8), s.limit))
			copy(grown, s.slots)
			s.slots = grown
		}
		s.index[h] = int32(len(s.slots))
		s.slots = append(s.slots, setSlot[V]{id: id, value: v})
		return
	}
	for {
		if s.hand >= len(s.slots) {
			s.hand = 0
		}
		slot := &s.slots[s.hand]
		if atomic.LoadUint32(&slot.ref) == 1 {
			atomic.StoreUint32(&slot.ref, 0)
			atomic.StorePointer(&slot.hit, nil)
			s.hand++
			continue
		}
		delete(s.index, maphash.String(b.seed, slot.id))
		*slot = setSlot[V]{id: id, value: v}
		s.index[h] = int32(s.hand)
		s.hand++
		b.evictions.Add(1)
		return
	}
}

// update replaces the entry for id if there is one, and reports whether
// there was.
func (b *boundedSet[V, H]) update(id string, v V) bool {
	s, h := b.locate(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[h]
	if ok && s.slots[i].id == id {
		s.slots[i] = setSlot[V]{id: id, value: v, ref: atomic.LoadUint32(&s.slots[i].ref)}
		return true
	}
	return false
}

// remove deletes the entry for id, if any.
func (b *boundedSet[V, H]) remove(id string) {
	s, h := b.locate(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[h]
	if !ok || s.slots[i].id != id {
		return
	}
	last := len(s.slots) - 1
	if int(i) != last {
		moved := &s.slots[last]
		s.slots[i] = setSlot[V]{id: moved.id, value: moved.value, ref: atomic.LoadUint32(&moved.ref), hit: atomic.LoadPointer(&moved.hit)}
		s.index[maphash.String(b.seed, moved.id)] = i
	}
	s.slots[last] = setSlot[V]{}
	s.slots = s.slots[:last]
	delete(s.index, h)
}

// clear removes every entry.
func (b *boundedSet[V, H]) clear() {
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		s.index = make(map[uint64]int32)
		s.slots, s.hand = nil, 0
		s.mu.Unlock()
	}
}

// len returns the number of entries.
func (b *boundedSet[V, H]) len() int {
	n := 0
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.RLock()
		n += len(s.slots)
		s.mu.RUnlock()
	}
	return n
}

// capacity returns the most entries the set holds.
func (b *boundedSet[V, H]) capacity() int { return len(b.shards) * b.shards[0].limit }
