package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Both dialects keep times as BIGINT unix microseconds in UTC and durations as
// whole seconds: integers compare, index and round-trip the same everywhere,
// with no driver or time-zone conversions in between.

// micros returns t as unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros returns the UTC time of unix microseconds v.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros returns t as unix microseconds, NULL for the zero time.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromNullMicros returns the UTC time of v, the zero time for NULL.
func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// seconds returns d in whole seconds.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// fromSeconds returns v seconds as a duration.
func fromSeconds(v int64) time.Duration { return time.Duration(v) * time.Second }

// jsonList encodes a list as a JSON array, "[]" for an empty one. Items that
// implement encoding.TextMarshaler (netip.Prefix) become strings.
func jsonList[T any](list []T) (string, error) {
	if len(list) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return "", fmt.Errorf("encode list: %w", err)
	}
	return string(b), nil
}

// parseList decodes a JSON array written by jsonList; an empty array is nil.
func parseList[T any](s string) ([]T, error) {
	var list []T
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("decode list %q: %w", s, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	return list, nil
}
