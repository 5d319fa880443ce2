package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

func get(t *testing.T, target string) []byte {
	t.Helper()
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", target, resp.StatusCode, b)
	}
	return b
}

// TestRestartKeepsEverything stops a server and starts another on the same
// data directory: keys, admin key, clients and revocations all survive, and
// nothing is created twice.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	first := startServer(t, app.Config{DataDir: dir})
	c := first.createClient(t, wire.CreateClientRequest{})
	jwks := get(t, first.URL+"/realms/sandbox/protocol/openid-connect/certs")
	if info, err := os.Stat(first.main.AdminKeyFile()); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("admin.key mode = %v (%v), want 0600", info.Mode(), err)
	}
	first.stop()

	second := startServer(t, app.Config{DataDir: dir})
	if second.AdminKey != first.AdminKey {
		t.Fatal("the admin key changed across a restart")
	}
	if got := get(t, second.URL+"/realms/sandbox/protocol/openid-connect/certs"); string(got) != string(jwks) {
		t.Fatalf("JWKS changed across a restart:\n%s\n%s", jwks, got)
	}
	envs, err := second.Admin.Environments(context.Background())
	if err != nil || len(envs) != 3 {
		t.Fatalf("environments after restart = %v (%v), want sandbox, production and admin once each", envs, err)
	}
	fetchToken(t, second, "sandbox", c.ClientID, c.ClientSecret)
	if strings.Contains(second.Logs.String(), "admin.key is missing") {
		t.Fatal("the restarted server did not recognise its own admin key")
	}
	second.stop()

	// `gatehouse migrate --reset-admin-key` replaces the key; the old one dies.
	path, err := app.ResetAdminKey(context.Background(), app.Config{DataDir: dir}, rand.Reader, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	third := startServer(t, app.Config{DataDir: dir})
	if path != third.main.AdminKeyFile() || third.AdminKey == first.AdminKey {
		t.Fatal("the admin key was not replaced")
	}
	if _, err := third.Admin.Environments(context.Background()); err != nil {
		t.Fatalf("the new admin key does not work: %v", err)
	}
	if _, err := adminclient.New(third.URL, first.AdminKey, nil).Environments(context.Background()); err == nil {
		t.Fatal("the old admin key still works after a reset")
	}
}

// TestRestartWithAFixedPublicURLKeepsTokensValid restarts a server with the
// same public URL: a token from before the restart still introspects as
// active, and a token revoked before the restart stays revoked.
func TestRestartWithAFixedPublicURLKeepsTokensValid(t *testing.T) {
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, PublicURL: "https://auth.example.com"}
	first := startServer(t, cfg)
	c := first.createClient(t, wire.CreateClientRequest{})
	kept := fetchToken(t, first, "sandbox", c.ClientID, c.ClientSecret)
	revoked := fetchToken(t, first, "sandbox", c.ClientID, c.ClientSecret)
	postForm(t, first.URL+"/realms/sandbox/protocol/openid-connect/revoke", url.Values{"token": {revoked}}, c.ClientID, c.ClientSecret)
	first.stop()

	second := startServer(t, cfg)
	active := func(tok string) bool {
		t.Helper()
		resp := postForm(t, second.URL+"/realms/sandbox/protocol/openid-connect/token/introspect", url.Values{"token": {tok}}, c.ClientID, c.ClientSecret)
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m["active"] == true
	}
	if !active(kept) {
		t.Fatal("a token issued before the restart is no longer active")
	}
	if active(revoked) {
		t.Fatal("a token revoked before the restart is active again")
	}
}

// TestReplicasOnOnePostgreSQLSeeChangesWithinASecond runs two servers on the
// same PostgreSQL schema: a client created through one replica's admin API
// gets tokens from the other within a second, and a revocation made on one
// is enforced by the other within a second.
func TestReplicasOnOnePostgreSQLSeeChangesWithinASecond(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	cfg := app.Config{Database: dsn, PublicURL: "https://auth.example.com"}
	a := startServer(t, cfg)
	b := startServer(t, cfg) // its bootstrap finds everything a created
	if b.AdminKey != "" || !strings.Contains(b.Logs.String(), "admin.key is missing") {
		t.Fatal("a second replica must neither write nor rotate the admin key, and must say so")
	}
	c := a.createClient(t, wire.CreateClientRequest{})
	start := time.Now()
	eventually(t, time.Second, func() error {
		resp := postForm(t, b.tokenURL("sandbox"), url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret)
		if resp.StatusCode != 200 {
			return errNotYet
		}
		return nil
	})
	t.Logf("replica b issued a token for a client created on a after %s", time.Since(start).Round(time.Millisecond))

	if _, err := a.Admin.RevokeClient(context.Background(), c.ClientID); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	eventually(t, time.Second, func() error {
		resp := postForm(t, b.tokenURL("sandbox"), url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret)
		if resp.StatusCode != 401 {
			return errNotYet
		}
		return nil
	})
	t.Logf("replica b refused the revoked client after %s", time.Since(start).Round(time.Millisecond))
}
