package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// fullSQLite returns a migrated SQLite store whose file may grow by only a
// few pages, as on a disk that is almost full.
func fullSQLite(t *testing.T) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	s := openStore(t, "sqlite://"+path)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	s.Close()
	return openStore(t, fmt.Sprintf("sqlite://%s?_pragma=max_page_count(%d)", path, pages+4))
}

func TestAFullDiskIsAClearUnavailableErrorAndNotReadyUntilSpaceIsFreed(t *testing.T) {
	s := fullSQLite(t)
	ctx := context.Background()
	if err := s.CheckWrites(ctx); err != nil {
		t.Fatalf("CheckWrites before any failure: %v", err)
	}
	detail := strings.Repeat("x", 2000)
	var err error
	for i := 0; i < 200 && err == nil; i++ {
		err = s.AppendAuditBatch(ctx, []*gatehouse.AuditEvent{{Time: time.Now(), Actor: "system", Action: "test.fill",
			Outcome: gatehouse.OutcomeSuccess, Detail: detail}})
	}
	if err == nil {
		t.Fatal("the database never filled up")
	}
	if !errors.Is(err, gatehouse.ErrUnavailable) || !errors.Is(err, gatehouse.ErrStorageFull) {
		t.Fatalf("a write to a full disk: %v; want gatehouse.ErrStorageFull (unavailable)", err)
	}
	if gatehouse.ErrorMessage(err) != gatehouse.ErrStorageFull.Message {
		t.Errorf("message %q does not say the disk is full", gatehouse.ErrorMessage(err))
	}
	if err := s.CheckWrites(ctx); !errors.Is(err, gatehouse.ErrStorageFull) {
		t.Fatalf("CheckWrites on a full disk: %v; want gatehouse.ErrStorageFull", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v (the database is reachable, only writes fail)", err)
	}
	// Space is freed (the one connection's page limit is lifted).
	if _, err := s.db.Exec(`PRAGMA max_page_count = 1000000`); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWrites(ctx); err != nil {
		t.Fatalf("CheckWrites after space was freed: %v", err)
	}
	if err := s.AppendAuditBatch(ctx, []*gatehouse.AuditEvent{{Time: time.Now(), Actor: "system", Action: "test.fill", Outcome: gatehouse.OutcomeSuccess}}); err != nil {
		t.Fatalf("a write after space was freed: %v", err)
	}
}
