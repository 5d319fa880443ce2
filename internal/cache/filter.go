package cache

import (
	"hash/maphash"
	"sync/atomic"
)

// idFilter is a Bloom filter of client ids: mayContain is false for an id
// that was never added, and true for an added one (and, rarely, for one that
// was not). The directory asks it before reading the store, so a request
// naming an unknown id costs no store read and stores nothing.
//
// It is sized for twice the ids it was built with, at 16 bits per id and 11
// probes: about one false positive in a million lookups when built, one in
// two thousand when full, after which the directory rebuilds it. Adding is
// lock-free (atomic OR), so ids created meanwhile are added as the change
// feed names them.
type idFilter struct {
	words    []atomic.Uint64
	bits     uint64
	seed     maphash.Seed
	capacity int64
	added    atomic.Int64
}

const (
	filterBitsPerID = 16
	filterProbes    = 11
	filterMinIDs    = 1 << 16
)

// newIDFilter returns an empty filter for about ids ids, hashing with seed.
func newIDFilter(ids int, seed maphash.Seed) *idFilter {
	capacity := max(2*ids, filterMinIDs)
	words := (capacity*filterBitsPerID + 63) / 64
	return &idFilter{
		words:    make([]atomic.Uint64, words),
		bits:     uint64(words) * 64,
		seed:     seed,
		capacity: int64(capacity),
	}
}

// probes returns the two hashes whose combinations h1 + i·h2 pick the bits
// (Kirsch–Mitzenmacher double hashing), from the id's hash h.
func probes(h uint64) (h1, h2 uint64) { return h, (h>>32 | h<<32) | 1 }

func (f *idFilter) add(id string) { f.addHash(maphash.String(f.seed, id)) }

// addHash adds the id whose hash under the filter's seed is h.
func (f *idFilter) addHash(h uint64) {
	h1, h2 := probes(h)
	for i := uint64(0); i < filterProbes; i++ {
		bit := (h1 + i*h2) % f.bits
		f.words[bit/64].Or(1 << (bit % 64))
	}
	f.added.Add(1)
}

func (f *idFilter) mayContain(id string) bool {
	h1, h2 := probes(maphash.String(f.seed, id))
	for i := uint64(0); i < filterProbes; i++ {
		bit := (h1 + i*h2) % f.bits
		if f.words[bit/64].Load()&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// full reports whether more ids were added than the filter was sized for.
func (f *idFilter) full() bool { return f.added.Load() > f.capacity }
