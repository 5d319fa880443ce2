package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

const environmentColumns = `name, signing_algorithm, token_format, token_lifetime_seconds, token_reuse,
	default_audience, created_at, updated_at,
	rate_client_per_minute, rate_client_burst, rate_ip_per_minute, rate_ip_burst, allow_reveal, production`

// CreateEnvironment stores a new environment; ErrConflict if the name is
// taken. A zero CreatedAt is set to now, a zero UpdatedAt to CreatedAt.
func (s *Store) CreateEnvironment(ctx context.Context, e *gatehouse.Environment) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.stamp(e.CreatedAt)
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = e.CreatedAt
	}
	err := s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `INSERT INTO environments (`+environmentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Name, e.SigningAlgorithm, e.Tokens.Format, seconds(e.Tokens.Lifetime), e.Tokens.Reuse,
			e.Tokens.DefaultAudience, micros(e.CreatedAt), micros(e.UpdatedAt),
			e.Limits.ClientPerMinute, e.Limits.ClientBurst, e.Limits.IPPerMinute, e.Limits.IPBurst, e.AllowReveal, e.Production)
		if err != nil {
			return dbError(err, fmt.Sprintf("environment %s already exists", e.Name), "")
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeEnvironment, e.Name)
	})
	if err != nil {
		return fmt.Errorf("create environment %s: %w", e.Name, err)
	}
	return nil
}

// Environment returns the environment called name.
func (s *Store) Environment(ctx context.Context, name string) (*gatehouse.Environment, error) {
	row := s.pool().queryRow(ctx, `SELECT `+environmentColumns+` FROM environments WHERE name = ?`, name)
	e, err := scanEnvironment(row)
	if err != nil {
		return nil, fmt.Errorf("load environment %s: %w", name, notFound(err, "environment %s not found", name))
	}
	return e, nil
}

// Environments returns every environment, ordered by name.
func (s *Store) Environments(ctx context.Context) ([]*gatehouse.Environment, error) {
	rows, err := s.pool().query(ctx, `SELECT `+environmentColumns+` FROM environments ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var list []*gatehouse.Environment
	for rows.Next() {
		e, err := scanEnvironment(rows)
		if err != nil {
			return nil, fmt.Errorf("list environments: %w", dbError(err, "", ""))
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list environments: %w", dbError(err, "", ""))
	}
	return list, nil
}

// UpdateEnvironment stores e's settings; ErrNotFound if there is no
// environment called e.Name. CreatedAt is left as it was; a zero UpdatedAt is
// set to now.
func (s *Store) UpdateEnvironment(ctx context.Context, e *gatehouse.Environment) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = s.stamp(e.UpdatedAt)
	}
	err := s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `UPDATE environments SET signing_algorithm = ?, token_format = ?,
			token_lifetime_seconds = ?, token_reuse = ?, default_audience = ?, updated_at = ?,
			rate_client_per_minute = ?, rate_client_burst = ?, rate_ip_per_minute = ?, rate_ip_burst = ?,
			allow_reveal = ?, production = ?
			WHERE name = ?`,
			e.SigningAlgorithm, e.Tokens.Format, seconds(e.Tokens.Lifetime), e.Tokens.Reuse,
			e.Tokens.DefaultAudience, micros(e.UpdatedAt),
			e.Limits.ClientPerMinute, e.Limits.ClientBurst, e.Limits.IPPerMinute, e.Limits.IPBurst, e.AllowReveal, e.Production, e.Name)
		if err := mustAffect(res, err, "environment %s not found", e.Name); err != nil {
			return err
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeEnvironment, e.Name)
	})
	if err != nil {
		return fmt.Errorf("update environment %s: %w", e.Name, err)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanEnvironment(row scanner) (*gatehouse.Environment, error) {
	var e gatehouse.Environment
	var lifetime, created, updated int64
	err := row.Scan(&e.Name, &e.SigningAlgorithm, &e.Tokens.Format, &lifetime, &e.Tokens.Reuse,
		&e.Tokens.DefaultAudience, &created, &updated,
		&e.Limits.ClientPerMinute, &e.Limits.ClientBurst, &e.Limits.IPPerMinute, &e.Limits.IPBurst, &e.AllowReveal, &e.Production)
	if err != nil {
		return nil, err
	}
	e.Tokens.Lifetime = fromSeconds(lifetime)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &e, nil
}

// mustAffect returns the error of an UPDATE, or a not-found error if it
// changed no row.
func mustAffect(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return dbError(err, "", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err, "", "")
	}
	if n == 0 {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, format, args...)
	}
	return nil
}
