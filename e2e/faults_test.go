package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// tokenLoad sends token requests for c from a few workers until stopped and
// counts the answers by status.
type tokenLoad struct {
	mu     sync.Mutex
	counts map[int]int
	stop   chan struct{}
	wg     sync.WaitGroup
}

func startTokenLoad(t *testing.T, s *server, c *wire.ClientWithSecret) *tokenLoad {
	l := &tokenLoad{counts: map[int]int{}, stop: make(chan struct{})}
	for range 4 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, "")
				l.mu.Lock()
				l.counts[a.status]++
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// take returns the counts so far and resets them.
func (l *tokenLoad) take() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counts
	l.counts = map[int]int{}
	return c
}

func (l *tokenLoad) end() { close(l.stop); l.wg.Wait() }

// lemonwayToken asks the Lemonway-style endpoint for c's (reusable) token.
func lemonwayToken(t *testing.T, s *server, apiKey string) (int, string) {
	t.Helper()
	resp, body := send(t, http.MethodPost, s.URL+"/oauth/api/v1/oauth/token", lemonwayHeaders("basic "+apiKey), "Grant_type=client_credentials")
	tok, _ := body["access_token"].(string)
	return resp.StatusCode, tok
}

// TestDatabaseDownAndFrozenUnderLoad runs token traffic while PostgreSQL
// (through a proxy in front of the shared server) is taken down, then
// frozen: cached clients keep getting tokens, a first reusable token is
// issued fresh, admin writes answer 503 within the statement timeout, and
// everything recovers when the database is back.
func TestDatabaseDownAndFrozenUnderLoad(t *testing.T) {
	dsn, pg := testenv.ProxyURL(t, testenv.PostgresSchema(t))
	s := startServer(t, app.Config{Database: dsn, DatabaseStatementTimeout: 2 * time.Second, DatabaseConnectTimeout: time.Second})
	setLimits(t, s, "sandbox", wire.RateLimits{}) // the load is not to be limited
	c := s.createClient(t, wire.CreateClientRequest{})
	reusing := s.createClient(t, wire.CreateClientRequest{Name: "wallet"})
	// The client is in the cache (a standard request, which does not reuse
	// tokens), but its reusable token was never issued.
	if a := requestToken(t, s, "sandbox", reusing.ClientID, reusing.ClientSecret, ""); a.status != 200 {
		t.Fatalf("warming the client cache: %+v", a)
	}
	l := startTokenLoad(t, s, c)
	defer l.end()
	time.Sleep(300 * time.Millisecond)

	for _, fault := range []struct {
		name  string
		apply func()
	}{{"down", pg.Down}, {"frozen", pg.Stall}} {
		t.Run("database "+fault.name, func(t *testing.T) {
			l.take()
			fault.apply()
			defer pg.Up()
			start := time.Now()
			_, err := s.Admin.CreateAccount(context.Background(), "during-"+fault.name)
			if took := time.Since(start); err == nil || took > 10*time.Second {
				t.Fatalf("an admin write with the database %s: %v after %s; want 503 within the statement timeout", fault.name, err, took)
			}
			if gatehouse.ErrorCode(err) != gatehouse.EUNAVAILABLE && !errors.Is(err, gatehouse.ErrUnavailable) {
				t.Logf("admin write error: %v", err)
			}
			start = time.Now()
			status, tok := lemonwayToken(t, s, reusing.APIKey)
			if status != 200 || tok == "" || time.Since(start) > 5*time.Second {
				t.Fatalf("a first reusable token with the database %s: %d after %s; want a fresh token at once", fault.name, status, time.Since(start))
			}
			time.Sleep(500 * time.Millisecond)
			counts := l.take()
			if counts[200] == 0 || len(counts) != 1 {
				t.Fatalf("token requests of a cached client with the database %s: %v; want only 200s", fault.name, counts)
			}
			resp, err := http.Get(s.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("/readyz with the database %s: %d, want 503", fault.name, resp.StatusCode)
			}
		})
		pg.Up()
		eventually(t, 20*time.Second, func() error {
			_, err := s.Admin.CreateAccount(context.Background(), "after-"+fault.name)
			return err
		})
	}
	status1, tok1 := lemonwayToken(t, s, reusing.APIKey)
	status2, tok2 := lemonwayToken(t, s, reusing.APIKey)
	if status1 != 200 || status2 != 200 || tok1 != tok2 {
		t.Fatalf("reuse did not resume once the database was back: %d, same token %v", status1, tok1 == tok2)
	}
}

// TestRedisDownUnderLoadKeepsServingAndBans runs token traffic while Redis
// (through a proxy) goes down: requests are still served (local limits),
// a ban made meanwhile holds, and it still holds once Redis is back.
func TestRedisDownUnderLoadKeepsServingAndBans(t *testing.T) {
	redisURL, rd := testenv.ProxyURL(t, testenv.RedisURL(t))
	cfg := behindProxy()
	cfg.Database = testenv.PostgresSchema(t)
	cfg.Redis = redisURL
	cfg.Protection.RedisPrefix = randomRedisPrefix()
	cfg.Protection.BruteForce = app.Threshold{Count: 3, Window: time.Minute}
	s := startServer(t, cfg)
	setLimits(t, s, "sandbox", wire.RateLimits{ClientPerMinute: 100000, ClientBurst: 100000, IPPerMinute: 100000, IPBurst: 100000})
	c := s.createClient(t, wire.CreateClientRequest{})
	l := startTokenLoad(t, s, c)
	defer l.end()
	time.Sleep(200 * time.Millisecond)
	l.take()

	rd.Down()
	time.Sleep(700 * time.Millisecond)
	counts := l.take()
	if counts[200] == 0 || counts[500] != 0 {
		t.Fatalf("token requests with Redis down: %v; want 200s (local limits)", counts)
	}
	banByBruteForce(t, s, "198.51.100.80", 3)
	rd.Up()
	eventually(t, 15*time.Second, func() error {
		if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, "198.51.100.80"); a.status != 429 {
			return fmt.Errorf("the ban made while Redis was down: %+v", a)
		}
		// Redis itself holds the ban again (every replica sees it).
		n, err := testenv.Redis(t).Exists(context.Background(), cfg.Protection.RedisPrefix+"ban:198.51.100.80").Result()
		if err != nil || n != 1 {
			return fmt.Errorf("the ban is not in Redis: %d, %v", n, err)
		}
		return nil
	})
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, "198.51.100.81"); a.status != 200 {
		t.Fatalf("another address after Redis came back: %+v", a)
	}
}
