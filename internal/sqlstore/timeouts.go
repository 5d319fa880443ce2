package sqlstore

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Default database timeouts.
const (
	// DefaultConnectTimeout bounds opening one connection, authentication
	// included.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultStatementTimeout bounds how long the server may stay silent
	// while a statement runs.
	DefaultStatementTimeout = 15 * time.Second
)

// Timeouts bound how long a store waits for its database. Zero fields get
// the defaults.
type Timeouts struct {
	// ConnectTimeout bounds opening a PostgreSQL connection (TCP, TLS and
	// authentication); a connect_timeout in the URL wins.
	ConnectTimeout time.Duration
	// StatementTimeout bounds every wait for the PostgreSQL server: a
	// connection on which the server sends nothing for that long is
	// closed and the statement fails as unavailable, whatever the caller's
	// context says. The server is also told (statement_timeout, unless
	// the URL sets it) so that it stops the statement itself. It is what
	// turns a frozen server into an error instead of a hang.
	StatementTimeout time.Duration
}

func (o *Timeouts) defaults() {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
}

// apply puts o into a pgx connection configuration.
func (o Timeouts) apply(cfg *pgconn.Config) {
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = o.ConnectTimeout
	}
	if _, set := cfg.RuntimeParams["statement_timeout"]; !set {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	}
	dial := cfg.DialFunc
	idle := o.StatementTimeout
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &silenceLimitedConn{Conn: c, limit: idle}, nil
	}
}

// silenceLimitedConn fails a read or write that waits longer than limit.
// The deadlines its user sets (pgx interrupts a statement whose context
// ends by setting one in the past) still apply: each read or write uses the
// earlier of the user's deadline and now + limit.
type silenceLimitedConn struct {
	net.Conn
	limit time.Duration

	mu            sync.Mutex
	readDeadline  time.Time // set by the user; zero: none
	writeDeadline time.Time
}

func earliest(user time.Time, limit time.Time) time.Time {
	if !user.IsZero() && user.Before(limit) {
		return user
	}
	return limit
}

func (c *silenceLimitedConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	err := c.Conn.SetReadDeadline(earliest(c.readDeadline, time.Now().Add(c.limit)))
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *silenceLimitedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	err := c.Conn.SetWriteDeadline(earliest(c.writeDeadline, time.Now().Add(c.limit)))
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

func (c *silenceLimitedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline, c.writeDeadline = t, t
	return c.Conn.SetDeadline(t)
}

func (c *silenceLimitedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDeadline = t
	return c.Conn.SetReadDeadline(t)
}

func (c *silenceLimitedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeDeadline = t
	return c.Conn.SetWriteDeadline(t)
}
