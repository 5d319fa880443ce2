package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

const clientColumns = `id, environment, account_id, name, scopes, audiences, allowed_cidrs,
	token_format, token_lifetime_seconds, token_reuse, default_audience, status, created_at, updated_at,
	jwks, public_key_pem, must_rotate, version`

// CreateClient stores a new client with its secrets, and sets the secrets'
// IDs. A zero CreatedAt (of the client or a secret) is set to now, a zero
// UpdatedAt to CreatedAt. ErrConflict if the id is taken, ErrNotFound if the
// environment or the account does not exist.
func (s *Store) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	if err := validateClient(c); err != nil {
		return err
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.stamp(c.CreatedAt)
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	row, err := encodeClient(c)
	if err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	secrets := s.stampSecrets(c.Secrets)
	err = s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `INSERT INTO clients (`+clientColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
			c.ID, c.Environment, c.AccountID, c.Name, row.scopes, row.audiences, row.cidrs,
			row.format, row.lifetime, row.reuse, row.audience, c.Status, micros(c.CreatedAt), micros(c.UpdatedAt),
			row.jwks, row.pem, c.MustRotate)
		if err != nil {
			return dbError(err, fmt.Sprintf("client %s already exists", c.ID),
				fmt.Sprintf("environment %s or account %d not found", c.Environment, c.AccountID))
		}
		for i := range secrets {
			if err := insertSecret(ctx, tx, c.ID, &secrets[i]); err != nil {
				return err
			}
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeClient, c.ID)
	})
	if err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	c.Secrets, c.Version = secrets, 1
	return nil
}

// Clients returns a page of clients ordered by id, with their secrets: those
// of f.Environment and f.AccountID when set, with an id above f.AfterID, at
// most f.Limit (100 if 0, never more than 1000).
func (s *Store) Clients(ctx context.Context, f gatehouse.ClientFilter) ([]*gatehouse.Client, error) {
	where, args := []string{"id > ?"}, []any{f.AfterID}
	if f.Environment != "" {
		where, args = append(where, "environment = ?"), append(args, f.Environment)
	}
	if f.AccountID != 0 {
		where, args = append(where, "account_id = ?"), append(args, f.AccountID)
	}
	args = append(args, pageLimit(f.Limit))
	list, err := s.queryClients(ctx, `SELECT `+clientColumns+` FROM clients WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	if err := loadSecrets(ctx, s.pool(), list); err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return list, nil
}

func (s *Store) queryClients(ctx context.Context, query string, args ...any) ([]*gatehouse.Client, error) {
	rows, err := s.pool().query(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, "", "")
	}
	defer rows.Close()
	var list []*gatehouse.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, dbError(err, "", "")
		}
		list = append(list, c)
	}
	return list, dbError(rows.Err(), "", "")
}

// UpdateClient stores c's fields and replaces its secrets with c.Secrets, in
// one transaction: secrets with an ID keep it (and take c's hash and times),
// secrets without one are added and get theirs, and every other secret of the
// client is deleted. It is a compare-and-swap: it writes only if c.Version
// is the stored version, and then increments both. ErrNotFound if there is
// no such client or account; ErrConflict if the client changed since c was
// read (another version, or a secret with an ID is no longer the client's).
// A client never moves to another environment, and its CreatedAt never
// changes. A zero UpdatedAt is set to now.
func (s *Store) UpdateClient(ctx context.Context, c *gatehouse.Client) error {
	if err := validateClient(c); err != nil {
		return err
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = s.stamp(c.UpdatedAt)
	}
	row, err := encodeClient(c)
	if err != nil {
		return fmt.Errorf("update client %s: %w", c.ID, err)
	}
	secrets := s.stampSecrets(c.Secrets)
	err = s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `UPDATE clients SET account_id = ?, name = ?, scopes = ?, audiences = ?,
			allowed_cidrs = ?, token_format = ?, token_lifetime_seconds = ?, token_reuse = ?,
			default_audience = ?, status = ?, updated_at = ?, jwks = ?, public_key_pem = ?, must_rotate = ?,
			version = version + 1
			WHERE id = ? AND environment = ? AND version = ?`,
			c.AccountID, c.Name, row.scopes, row.audiences, row.cidrs, row.format, row.lifetime, row.reuse,
			row.audience, c.Status, micros(c.UpdatedAt), row.jwks, row.pem, c.MustRotate, c.ID, c.Environment, c.Version)
		if err != nil {
			return dbError(err, "", fmt.Sprintf("account %d not found", c.AccountID))
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError(err, "", "")
		} else if n == 0 {
			return missingClient(ctx, tx, c)
		}
		dropped, err := droppedSecrets(ctx, tx, c.ID, secrets)
		if err != nil {
			return err
		}
		if err := replaceSecrets(ctx, tx, c.ID, secrets); err != nil {
			return err
		}
		// A secret an update drops (a rotation without grace, a reset) is
		// revoked like one revoked on its own: the tokens issued with it
		// stop working, and the revocation feed says so.
		for _, id := range dropped {
			rec := &gatehouse.RevokedCredential{
				Kind: gatehouse.RevokedSecret, ID: gatehouse.SecretRevocationID(id), Environment: c.Environment, ClientID: c.ID,
			}
			if err := s.recordRevocation(ctx, tx, rec, c.UpdatedAt); err != nil {
				return err
			}
		}
		return s.appendChange(ctx, tx, gatehouse.ChangeClient, c.ID)
	})
	if err != nil {
		return fmt.Errorf("update client %s: %w", c.ID, err)
	}
	c.Secrets = secrets
	c.Version++
	return nil
}

// missingClient explains why an UPDATE of c matched no row.
func missingClient(ctx context.Context, tx conn, c *gatehouse.Client) error {
	var env string
	var version int64
	err := tx.queryRow(ctx, `SELECT environment, version FROM clients WHERE id = ?`, c.ID).Scan(&env, &version)
	if err != nil {
		return notFound(err, "client %s not found", c.ID)
	}
	if env != c.Environment {
		return gatehouse.Errorf(gatehouse.EINVALID, "client %s belongs to environment %s and cannot move to %s",
			c.ID, env, c.Environment)
	}
	return gatehouse.Errorf(gatehouse.ECONFLICT, "client %s changed since it was read (version %d, now %d)",
		c.ID, c.Version, version)
}

// validateClient checks c before it is written.
func validateClient(c *gatehouse.Client) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.ID == "" || len(c.ID) > 200 {
		return gatehouse.Errorf(gatehouse.EINVALID, "client id must be 1-200 characters")
	}
	seen := map[int64]bool{}
	for _, sec := range c.Secrets {
		if sec.ID < 0 || (sec.ID != 0 && seen[sec.ID]) {
			return gatehouse.Errorf(gatehouse.EINVALID, "client %s lists secret %d twice or with a bad id", c.ID, sec.ID)
		}
		seen[sec.ID] = true
	}
	return nil
}

// clientRow holds the encoded columns of a client that are not plain values.
type clientRow struct {
	scopes, audiences, cidrs string
	format, audience         sql.NullString
	jwks, pem                sql.NullString // client keys (private_key_jwt); NULL for none
	lifetime                 sql.NullInt64
	reuse                    sql.NullBool
}

func encodeClient(c *gatehouse.Client) (clientRow, error) {
	var r clientRow
	var err error
	if r.scopes, err = jsonList(c.Scopes); err != nil {
		return r, err
	}
	if r.audiences, err = jsonList(c.Audiences); err != nil {
		return r, err
	}
	if r.cidrs, err = jsonList(c.AllowedCIDRs); err != nil {
		return r, err
	}
	if t := c.Tokens; t.Format != nil {
		r.format = sql.NullString{String: *t.Format, Valid: true}
	}
	if t := c.Tokens; t.Lifetime != nil {
		r.lifetime = sql.NullInt64{Int64: seconds(*t.Lifetime), Valid: true}
	}
	if t := c.Tokens; t.Reuse != nil {
		r.reuse = sql.NullBool{Bool: *t.Reuse, Valid: true}
	}
	if t := c.Tokens; t.DefaultAudience != nil {
		r.audience = sql.NullString{String: *t.DefaultAudience, Valid: true}
	}
	r.jwks = sql.NullString{String: c.JWKS, Valid: c.JWKS != ""}
	r.pem = sql.NullString{String: c.PublicKeyPEM, Valid: c.PublicKeyPEM != ""}
	return r, nil
}

func scanClient(row scanner) (*gatehouse.Client, error) {
	var sc clientScan
	if err := row.Scan(sc.dest()...); err != nil {
		return nil, err
	}
	return sc.client()
}

// clientScan receives the clientColumns of one row.
type clientScan struct {
	c                gatehouse.Client
	r                clientRow
	created, updated int64
}

// dest returns the scan destinations of clientColumns, in order.
func (sc *clientScan) dest() []any {
	c, r := &sc.c, &sc.r
	return []any{&c.ID, &c.Environment, &c.AccountID, &c.Name, &r.scopes, &r.audiences, &r.cidrs,
		&r.format, &r.lifetime, &r.reuse, &r.audience, &c.Status, &sc.created, &sc.updated, &r.jwks, &r.pem, &c.MustRotate, &c.Version}
}

// client decodes the scanned columns into a new client.
func (sc *clientScan) client() (*gatehouse.Client, error) {
	c, r := sc.c, &sc.r
	var err error
	if c.Scopes, err = parseList[string](r.scopes); err != nil {
		return nil, fmt.Errorf("client %s scopes: %w", c.ID, err)
	}
	if c.Audiences, err = parseList[string](r.audiences); err != nil {
		return nil, fmt.Errorf("client %s audiences: %w", c.ID, err)
	}
	if c.AllowedCIDRs, err = parseList[netip.Prefix](r.cidrs); err != nil {
		return nil, fmt.Errorf("client %s allowed CIDRs: %w", c.ID, err)
	}
	if r.format.Valid {
		c.Tokens.Format = &r.format.String
	}
	if r.lifetime.Valid {
		d := fromSeconds(r.lifetime.Int64)
		c.Tokens.Lifetime = &d
	}
	if r.reuse.Valid {
		c.Tokens.Reuse = &r.reuse.Bool
	}
	if r.audience.Valid {
		c.Tokens.DefaultAudience = &r.audience.String
	}
	c.JWKS, c.PublicKeyPEM = r.jwks.String, r.pem.String
	c.CreatedAt, c.UpdatedAt = fromMicros(sc.created), fromMicros(sc.updated)
	return &c, nil
}

// ClientIDs calls fn with the id of every client, reading only the id
// column in one pass, and stops at fn's first error. Outside a transaction
// it reads on the connections of client reads (clientread.go), so that a
// scan of millions of ids holds up no write.
func (s *Store) ClientIDs(ctx context.Context, fn func(id string) error) error {
	q := s.pool()
	if s.tx == nil {
		q.q = s.reads.db
	}
	rows, err := q.query(ctx, `SELECT id FROM clients`)
	if err != nil {
		return fmt.Errorf("list client ids: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	var id string
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("list client ids: %w", dbError(err, "", ""))
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list client ids: %w", dbError(err, "", ""))
	}
	return nil
}
