package cache

import "github.com/gatehouse-dev/gatehouse"

// RevocationRecords are the unexpired revocation records the directory
// holds. The slices are never modified once published.
type RevocationRecords struct {
	Tokens      []*gatehouse.RevokedToken
	Credentials []*gatehouse.RevokedCredential
}

// Revocations returns the revocation records as of the last sync.
func (d *Directory) Revocations() *RevocationRecords { return d.records.Load() }

// Position returns the id of the last change-feed entry the directory has
// applied. Read it before Revocations or Environments: the state those
// return then includes every change up to the position (and maybe later
// ones).
func (d *Directory) Position() int64 { return d.position.Load() }

// Changed returns a channel that is closed after the next sync that applies
// changes (or reloads everything).
func (d *Directory) Changed() <-chan struct{} { return *d.changed.Load() }

// advance publishes lastID and wakes the waiters of Changed. Called with mu
// held, after the new state is stored.
func (d *Directory) advance() {
	d.position.Store(d.lastID)
	next := make(chan struct{})
	old := d.changed.Swap(&next)
	close(*old)
}
