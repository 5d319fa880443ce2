package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// startProtectionServer serves the admin API with a ban list and the audit
// log over a real SQLite store.
func startProtectionServer(t *testing.T) (url string, store *sqlstore.Store, list *bans.Memory) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	list = bans.NewMemory(nil)
	h := adminapi.New(adminapi.Config{
		Store: store, Audit: store, Bans: list, Rand: rand.Reader, Now: time.Now,
		Authenticate: func(r *http.Request) (*gatehouse.Principal, error) {
			if r.Header.Get("Authorization") != "Bearer "+testAdminKey {
				return nil, gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "bad admin key")
			}
			return &gatehouse.Principal{ClientID: "admin", Environment: gatehouse.EnvAdmin, Scopes: []string{gatehouse.ScopeAdminWrite}}, nil
		},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, store, list
}

func TestBansCommands(t *testing.T) {
	clearEnv(t)
	url, _, list := startProtectionServer(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	common := []string{"--server", url}

	out, _ := mustRun(t, append([]string{"bans", "list"}, common...)...)
	if !strings.Contains(out, "No bans in force.") {
		t.Fatalf("bans list with none: %q", out)
	}
	now := time.Now()
	list.Add(context.Background(), bans.Ban{Subject: "203.0.113.7", Reason: bans.ReasonBruteForce, Environment: "sandbox",
		CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)})
	out, _ = mustRun(t, append([]string{"bans", "list"}, common...)...)
	if !strings.Contains(out, "203.0.113.7") || !strings.Contains(out, "brute_force") || !strings.Contains(out, "SUBJECT") {
		t.Fatalf("bans list: %q", out)
	}
	out, _ = mustRun(t, append([]string{"bans", "list", "--json"}, common...)...)
	var got []map[string]any
	decodeJSON(t, out, &got)
	if len(got) != 1 || got[0]["subject"] != "203.0.113.7" {
		t.Fatalf("bans list --json: %s", out)
	}
	out, _ = mustRun(t, append([]string{"bans", "lift", "203.0.113.7"}, common...)...)
	if !strings.Contains(out, "Lifted the ban of 203.0.113.7") {
		t.Fatalf("bans lift: %q", out)
	}
	if _, _, err := run(t, append([]string{"bans", "lift", "203.0.113.7"}, common...)...); err == nil || !strings.Contains(err.Error(), "not banned") {
		t.Fatalf("lifting a ban twice: %v, want a not-banned error", err)
	}
}

func TestAuditTail(t *testing.T) {
	clearEnv(t)
	url, store, _ := startProtectionServer(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	ctx := context.Background()
	appendEvent := func(i int) {
		t.Helper()
		err := store.AppendAudit(ctx, &gatehouse.AuditEvent{
			Actor: "anonymous", SourceIP: "198.51.100.1", Action: gatehouse.ActionAuthFailure,
			Object: fmt.Sprintf("client:c%d", i), Environment: "sandbox", Outcome: gatehouse.OutcomeFailure,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		appendEvent(i)
	}

	t.Run("the last lines come oldest first", func(t *testing.T) {
		out, _ := mustRun(t, "audit", "tail", "-n", "2", "--server", url)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], "object=client:c3") || !strings.Contains(lines[1], "object=client:c4") {
			t.Fatalf("audit tail -n 2: %q", out)
		}
	})
	t.Run("--json prints one event per line", func(t *testing.T) {
		out, _ := mustRun(t, "audit", "tail", "--json", "--object", "client:c1", "--server", url)
		var e map[string]any
		decodeJSON(t, strings.TrimSpace(out), &e)
		if e["object"] != "client:c1" || e["action"] != gatehouse.ActionAuthFailure {
			t.Fatalf("audit tail --json: %s", out)
		}
	})
	t.Run("--follow prints new events as they come", func(t *testing.T) {
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		root := NewRootCommand()
		var out syncWriter
		root.SetArgs([]string{"audit", "tail", "-n", "1", "--follow", "--interval", "100ms", "--server", url})
		root.SetOut(&out)
		root.SetErr(&out)
		done := make(chan error, 1)
		go func() { done <- root.ExecuteContext(fctx) }()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(out.String(), "client:c4") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		appendEvent(5)
		appendEvent(6)
		for !strings.Contains(out.String(), "client:c6") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("audit tail --follow: %v", err)
		}
		got := out.String()
		if strings.Count(got, "\n") != 3 || !strings.Contains(got, "client:c5") || !strings.Contains(got, "client:c6") {
			t.Fatalf("audit tail --follow printed %q, want c4 then c5 and c6", got)
		}
	})
	t.Run("bad flags are refused", func(t *testing.T) {
		if _, _, err := run(t, "audit", "tail", "-n", "0", "--server", url); err == nil {
			t.Fatal("-n 0 was accepted")
		}
	})
}

// syncWriter is a buffer a command and a test can share.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
