package cache

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// How clients reach memory. The directory does not hold every client: a
// provider may have millions, and only the ones calling need to be fast.
//
//   - clients is a bounded set (ClientCacheSize) of the clients in use,
//     filled on demand: the first request for a client reads it from the
//     store (once, however many requests arrive together), later ones are
//     served from memory until the client changes or is evicted.
//   - filter is a Bloom filter of every stored id, built by BuildFilter from
//     an id-only scan and kept up to date from the change feed. An id it
//     does not contain is answered "no such client" with no store read, so
//     random or guessed ids cost nothing and never enter either set.
//   - absent remembers ids the store did not have (filter false positives,
//     deleted clients, every id before the filter is built), in its own
//     bounded set so that they cannot evict real clients.
//
// Revocations are not part of this: every unexpired revocation stays in
// memory (directory.go), so a revoked client is refused whether or not it
// is cached.

// filterBuild collects the ids the change feed names while BuildFilter
// scans the store, so that the new filter has them too.
type filterBuild struct{ ids []string }

// Client returns a client, reading it from the store if it is not in
// memory, or nil if there is no such client or it could not be read. The
// returned value must not be modified.
func (d *Directory) Client(id string) *gatehouse.Client {
	c, _ := d.LookupClient(id)
	return c
}

// LookupClient returns a client, reading it from the store if it is not in
// memory: (nil, nil) if there is no such client, an error if the store
// could not be read. An id that the filter of stored ids rules out, or that
// the store recently did not have, costs no store read. A client served from
// memory carries what authentication and issuing read, without its name,
// times, version or sealed secrets (entry.go); read the store for those.
// The returned value must not be modified.
func (d *Directory) LookupClient(id string) (*gatehouse.Client, error) {
	if c, ok := d.clients.get(id, clientOf); ok {
		return c, nil
	}
	if id == "" {
		return nil, nil
	}
	if f := d.filter.Load(); f != nil && !f.mayContain(id) {
		d.stats.filtered.Add(1)
		return nil, nil
	}
	if _, ok := d.absent.get(id, nil); ok {
		d.stats.knownAbsent.Add(1)
		return nil, nil
	}
	v, err, _ := d.loads.Do(id, func() (any, error) { return d.load(id) })
	if err != nil {
		return nil, err
	}
	return v.(*gatehouse.Client), nil
}

// load reads one client from the store and keeps it (or its absence),
// unless a change to some client was applied meanwhile. Concurrent calls
// for one id are collapsed by LookupClient; the read has its own deadline
// so that one caller giving up does not fail the others.
func (d *Directory) load(id string) (*gatehouse.Client, error) {
	gen := d.generation.Load()
	valid := func() bool { return d.generation.Load() == gen }
	ctx, cancel := context.WithTimeout(context.Background(), d.loadTimeout)
	defer cancel()
	c, err := d.store.Client(ctx, id)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
		d.stats.readsAbsent.Add(1)
		d.absent.put(id, struct{}{}, valid)
		return nil, nil
	case err != nil:
		d.stats.readsFailed.Add(1)
		d.logLoadFailure(err)
		return nil, fmt.Errorf("load client: %w", err)
	}
	d.stats.readsFound.Add(1)
	d.clients.put(id, newClientEntry(c, &d.shapes), valid)
	return c, nil
}

// logLoadFailure logs a failed client read at most once a minute, not once
// per request.
func (d *Directory) logLoadFailure(err error) {
	now := d.now().UnixNano()
	last := d.loadFailureLogged.Load()
	if now-last < int64(time.Minute) || !d.loadFailureLogged.CompareAndSwap(last, now) {
		return
	}
	d.logger.Warn("cannot read a client that is not in memory; its requests are answered as unavailable", "err", err)
}

// clientChanged applies a change-feed entry naming client id. Called with
// mu held.
func (d *Directory) clientChanged(ctx context.Context, id string) error {
	d.generation.Add(1)
	d.loads.Forget(id)
	d.absent.remove(id)
	if f := d.filter.Load(); f != nil {
		f.add(id)
	}
	if d.filterBuild != nil {
		d.filterBuild.ids = append(d.filterBuild.ids, id)
	}
	if !d.clients.has(id) {
		return nil
	}
	// A client in use is read again at once, so that its next request
	// still costs no store read.
	c, err := d.store.Client(ctx, id)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND:
		d.clients.remove(id)
	case err != nil:
		d.clients.remove(id)
		return fmt.Errorf("reload client %s: %w", id, err)
	default:
		d.clients.update(id, newClientEntry(c, &d.shapes))
	}
	return nil
}

// forgetClients drops every client, absent id and the filter. Called with mu
// held by Load.
func (d *Directory) forgetClients() {
	d.epoch++
	d.generation.Add(1)
	d.filter.Store(nil)
	d.clients.clear()
	d.absent.clear()
}

// BuildFilter scans the ids of every stored client (the id column only)
// and installs a new filter of them. Until it has run after Load, ids not
// in memory are looked up in the store. A scan of a million ids takes about
// a second; the server runs it in the background after start, so start-up
// does not wait for it. Only one build runs at a time; a call while one
// runs returns nil at once.
func (d *Directory) BuildFilter(ctx context.Context) error {
	if !d.building.CompareAndSwap(false, true) {
		return nil
	}
	defer d.building.Store(false)
	d.mu.Lock()
	epoch, fb := d.epoch, &filterBuild{}
	d.filterBuild = fb
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		if d.filterBuild == fb {
			d.filterBuild = nil
		}
		d.mu.Unlock()
	}()
	// The hashes are gathered in blocks, not one growing slice, so that a
	// scan of a million ids allocates 8 MB once instead of copying it over
	// and over (the copies would raise the heap, and the process's memory,
	// long after the scan).
	const block = 1 << 16
	seed := maphash.MakeSeed()
	var blocks [][]uint64
	n := 0
	err := d.store.ClientIDs(ctx, func(id string) error {
		if n%block == 0 {
			blocks = append(blocks, make([]uint64, 0, block))
		}
		last := &blocks[len(blocks)-1]
		*last = append(*last, maphash.String(seed, id))
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("build the client id filter: %w", err)
	}
	f := newIDFilter(n, seed)
	for _, b := range blocks {
		for _, h := range b {
			f.addHash(h)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.epoch != epoch {
		return nil // a full load began meanwhile; it needs a scan of its own
	}
	for _, id := range fb.ids {
		f.add(id)
	}
	d.filter.Store(f)
	return nil
}

// buildFilterInBackground runs BuildFilter in a goroutine that ends with
// ctx, logging a failure (the next Load or full filter tries again).
func (d *Directory) buildFilterInBackground(ctx context.Context) {
	go func() {
		if err := d.BuildFilter(ctx); err != nil && ctx.Err() == nil {
			d.logger.Warn("cannot build the filter of client ids; unknown ids are looked up in the store", "err", err)
		}
	}()
}

// FilterReady reports whether the filter of stored ids is in place.
func (d *Directory) FilterReady() bool { return d.filter.Load() != nil }

// CachedClients returns how many clients are in memory.
func (d *Directory) CachedClients() int { return d.clients.len() }

// lookupStats count what lookups of clients not in memory cost.
type lookupStats struct {
	readsFound, readsAbsent, readsFailed atomic.Uint64
	filtered, knownAbsent                atomic.Uint64
}

// ClientCacheStats describe the cache of clients, for metrics.
type ClientCacheStats struct {
	// Entries and Capacity are the clients in memory and the most there
	// can be; Evictions counts the clients dropped to make room.
	Entries, Capacity int
	Evictions         uint64
	// StoreReadsFound, StoreReadsAbsent and StoreReadsFailed count the
	// store reads of lookups of clients not in memory, by result: the
	// client was read, the store has no such client, or the read failed.
	StoreReadsFound, StoreReadsAbsent, StoreReadsFailed uint64
	// Filtered counts lookups the filter of stored ids answered "no such
	// client", and KnownAbsent those the cache of absent ids answered;
	// neither read the store.
	Filtered, KnownAbsent uint64
}

// ClientCacheStats returns counts of the cache of clients since start.
func (d *Directory) ClientCacheStats() ClientCacheStats {
	return ClientCacheStats{
		Entries: d.clients.len(), Capacity: d.clients.capacity(), Evictions: d.clients.evictions.Load(),
		StoreReadsFound: d.stats.readsFound.Load(), StoreReadsAbsent: d.stats.readsAbsent.Load(),
		StoreReadsFailed: d.stats.readsFailed.Load(),
		Filtered:         d.stats.filtered.Load(), KnownAbsent: d.stats.knownAbsent.Load(),
	}
}
