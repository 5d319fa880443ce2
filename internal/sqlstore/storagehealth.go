package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gatehouse-dev/gatehouse"
)

// writeHealth remembers that a write was refused for want of space. Only a
// successful write probe (CheckWrites) clears it: small writes may still
// fit while real ones do not. Copies of a Store share it.
type writeHealth struct {
	full atomic.Bool
}

// note records the outcome of a write.
func (h *writeHealth) note(err error) {
	if h != nil && err != nil && (errors.Is(err, gatehouse.ErrStorageFull) || classify(err) == storageFull) {
		h.full.Store(true)
	}
}

func (h *writeHealth) failing() bool { return h != nil && h.full.Load() }

// probeRows is how many rows the write probe inserts (and rolls back): a
// few pages' worth, so that the probe needs fresh space as real writes do.
const probeRows = 20000

// CheckWrites reports whether the database can write. While no write has
// been refused for want of space it answers at once; after one it probes
// (a transaction that inserts some pages' worth of rows and rolls back)
// and reports gatehouse.ErrStorageFull until a probe succeeds, so that
// readiness turns back to ready once space is freed even if nothing else
// writes.
func (s *Store) CheckWrites(ctx context.Context) error {
	if !s.health.failing() {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("probe writes: %w", dbError(err, "", ""))
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, s.dialect.rebind(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO storage_probe (id, at) SELECT i, i FROM n`), probeRows)
	if err != nil {
		if classify(err) == storageFull {
			s.health.note(err)
		}
		return fmt.Errorf("probe writes: %w", dbError(err, "", ""))
	}
	s.health.full.Store(false)
	return nil
}

// errStorageFull is dbError's answer to a write refused for want of space.
func errStorageFull(err error) error {
	return fmt.Errorf("%w: %w", gatehouse.ErrStorageFull, err)
}
