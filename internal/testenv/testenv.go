package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/redis/go-redis/v9"
)

// Names of the environment variables that point tests at real services.
const (
	PostgresEnv = "GATEHOUSE_TEST_POSTGRES"
	RedisEnv    = "GATEHOUSE_TEST_REDIS"
)

// PostgresSchema creates an empty schema in the test database, dropped when
// t ends, and returns a DSN whose search_path is that schema. It skips t when
// GATEHOUSE_TEST_POSTGRES is unset.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set; skipping PostgreSQL tests", PostgresEnv)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Redis returns a client of the test Redis server, closed when t ends. It
// skips t when GATEHOUSE_TEST_REDIS is unset and fails it when the server
// does not answer.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	raw := os.Getenv(RedisEnv)
	if raw == "" {
		t.Skipf("%s is not set; set it to a Redis URL (redis://127.0.0.1:6379/0) to run the Redis tests", RedisEnv)
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("parse %s: %v", RedisEnv, err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping Redis at %s: %v", RedisEnv, err)
	}
	return c
}

// Logs collects log output; it is safe for a logger and a test to share.
type Logs struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RedisURL returns the URL of the test Redis server. It skips t when
// GATEHOUSE_TEST_REDIS is unset.
func RedisURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(RedisEnv)
	if raw == "" {
		t.Skipf("%s is not set; set it to a Redis URL (redis://127.0.0.1:6379/0) to run the Redis tests", RedisEnv)
	}
	return raw
}

// Clock is a clock a test moves by hand; its Now is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
