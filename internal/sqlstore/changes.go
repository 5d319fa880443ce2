package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// Limits of a page of a list or of the change feed.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// pageLimit returns the number of rows a list returns for a requested limit.
func pageLimit(limit int) int {
	switch {
	case limit <= 0:
		return defaultLimit
	case limit > maxLimit:
		return maxLimit
	}
	return limit
}

// appendChange records in tx that the object key of kind changed. Call it as
// the last statement of the transaction that made the change: on PostgreSQL
// it locks the feed (dialect.lockChanges) until the transaction ends, so that
// change rows commit in id order and a poller reading "after id N" never
// misses one.
func (s *Store) appendChange(ctx context.Context, tx conn, kind, key string) error {
	if s.dialect.lockChanges != "" {
		if _, err := tx.exec(ctx, s.dialect.lockChanges); err != nil {
			return fmt.Errorf("lock change feed: %w", dbError(err, "", ""))
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO changes (kind, key, at) VALUES (?, ?, ?)`, kind, key, micros(s.now()))
	if err != nil {
		return fmt.Errorf("append %s change %s: %w", kind, key, dbError(err, "", ""))
	}
	return nil
}

// Changes returns the changes with an id above afterID, oldest first: at
// most limit, 100 if limit is 0, and never more than 1000.
func (s *Store) Changes(ctx context.Context, afterID int64, limit int) ([]gatehouse.Change, error) {
	rows, err := s.pool().query(ctx,
		`SELECT id, kind, key, at FROM changes WHERE id > ? ORDER BY id LIMIT ?`, afterID, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read changes after %d: %w", afterID, dbError(err, "", ""))
	}
	defer rows.Close()
	var list []gatehouse.Change
	for rows.Next() {
		var c gatehouse.Change
		var at int64
		if err := rows.Scan(&c.ID, &c.Kind, &c.Key, &at); err != nil {
			return nil, fmt.Errorf("read changes after %d: %w", afterID, dbError(err, "", ""))
		}
		c.At = fromMicros(at)
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read changes after %d: %w", afterID, dbError(err, "", ""))
	}
	return list, nil
}

// LatestChange returns the id of the newest change, 0 if there is none.
func (s *Store) LatestChange(ctx context.Context) (int64, error) {
	var id int64
	err := s.pool().queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM changes`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("read latest change: %w", dbError(err, "", ""))
	}
	return id, nil
}

// DeleteChanges removes the changes made before before. Ids are never
// reused, so pollers are not confused by a pruned feed.
func (s *Store) DeleteChanges(ctx context.Context, before time.Time) error {
	if _, err := s.pool().exec(ctx, `DELETE FROM changes WHERE at < ?`, micros(before)); err != nil {
		return fmt.Errorf("delete changes before %s: %w", before.UTC().Format(time.RFC3339), dbError(err, "", ""))
	}
	return nil
}
