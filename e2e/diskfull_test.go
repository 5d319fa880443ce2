package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// TestAFullDiskAnswers503AndReadyzSaysSo fills the SQLite database (its
// file may grow by only a few pages, as on an almost full disk): admin
// writes get 503 with a clear message, /readyz reports the storage that
// cannot write, and tokens for cached clients are still issued.
func TestAFullDiskAnswers503AndReadyzSaysSo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gatehouse.db")
	s := startServer(t, app.Config{DataDir: dir, Database: "sqlite://" + path})
	c := s.createClient(t, wire.CreateClientRequest{})
	s.stop()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = startServer(t, app.Config{DataDir: dir, Database: fmt.Sprintf("sqlite://%s?_pragma=max_page_count(%d)", path, pages+8)})
	var status int
	var body string
	for i := 0; i < 300; i++ {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/v1/clients",
			strings.NewReader(fmt.Sprintf(`{"environment":"sandbox","name":"fill-%d-%s"}`, i, strings.Repeat("x", 180))))
		req.Header.Set("Authorization", "Bearer "+s.AdminKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status, body = resp.StatusCode, string(b)
		if status != http.StatusCreated {
			break
		}
	}
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "no space left") {
		t.Fatalf("a write to the full database: %d %s; want 503 saying there is no space left", status, body)
	}
	resp, err := http.Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready map[string]string
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || ready["storage"] != "cannot_write" {
		t.Fatalf("/readyz with a full disk: %d %v; want 503 with storage cannot_write\n%s", resp.StatusCode, ready, s.Logs)
	}
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); a.status != http.StatusOK {
		t.Fatalf("a token for a cached client with the disk full: %+v, want 200", a)
	}
	if _, err := s.Admin.Environments(context.Background()); err != nil {
		t.Fatalf("reads with the disk full: %v", err)
	}
}
