package e2e

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// introspectWith asks whether token is active, as client caller of env.
func introspectWith(t *testing.T, s *server, env string, caller *wire.ClientWithSecret, token string) bool {
	t.Helper()
	form := "client_id=" + caller.ClientID + "&client_secret=" + url.QueryEscape(caller.ClientSecret) + "&token=" + url.QueryEscape(token)
	status, body := call(t, http.MethodPost, s.URL+"/realms/"+env+"/protocol/openid-connect/token/introspect", "", formType, form, "")
	if status != http.StatusOK {
		t.Fatalf("introspect: %d %s", status, body)
	}
	return strings.Contains(body, `"active":true`)
}

func TestTokensDieWithTheSecretTheyWereIssuedWith(t *testing.T) {
	clk := &testClock{t: time.Now()}
	s := startServerWith(t, app.Config{CacheMaxStaleness: 24 * 365 * time.Hour}, func(m *app.Main) { m.Now = clk.Now })
	ctx := context.Background()
	caller := s.createClient(t, wire.CreateClientRequest{Name: "resource server"})

	t.Run("a rotation without grace ends the old secret's tokens at once", func(t *testing.T) {
		c := s.createClient(t, wire.CreateClientRequest{})
		tok := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, "")
		if _, err := s.Admin.RotateClientSecret(ctx, c.ClientID, 0); err != nil {
			t.Fatal(err)
		}
		if introspectWith(t, s, "sandbox", caller, tok.token) {
			t.Error("a token of the rotated-out secret is still active")
		}
	})
	t.Run("a rotation with grace keeps the old secret's tokens until the grace ends, and no longer", func(t *testing.T) {
		c := s.createClient(t, wire.CreateClientRequest{})
		tok := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, "")
		if _, err := s.Admin.RotateClientSecret(ctx, c.ClientID, time.Minute); err != nil {
			t.Fatal(err)
		}
		if !introspectWith(t, s, "sandbox", caller, tok.token) {
			t.Fatal("a token of the old secret is inactive during the grace period")
		}
		clk.Add(61 * time.Second) // the token itself lives 5 minutes
		if introspectWith(t, s, "sandbox", caller, tok.token) {
			t.Error("a token of the old secret is still active after the grace period")
		}
	})
	t.Run("rotating the admin key ends the admin tokens issued with it", func(t *testing.T) {
		adminTok, _ := adminToken(t, s, "", "")
		adminID, _, _ := gatehouse.ParseAPIKey(s.AdminKey)
		rotated, err := s.Admin.RotateClientSecret(ctx, adminID, 0)
		if err != nil {
			t.Fatal(err)
		}
		status, body := call(t, http.MethodGet, s.URL+"/admin/v1/accounts", "Bearer "+adminTok, "", "", "")
		if status != http.StatusUnauthorized {
			t.Errorf("an admin token of the rotated-out key: %d %s, want 401", status, body)
		}
		s.AdminKey = rotated.APIKey
	})
}

func TestResetAdminKeyEndsTheOldKeysTokens(t *testing.T) {
	dir := t.TempDir()
	// A fixed public URL keeps the issuer, so the old token stays verifiable
	// across the restart and only the reset can end it.
	const public = "https://auth.example.com"
	s := startServer(t, app.Config{DataDir: dir, PublicURL: public})
	adminTok, _ := adminToken(t, s, "", "")
	s.stop()

	cfg := app.Config{DataDir: dir, PublicURL: public}
	cfg.Defaults()
	if _, err := app.ResetAdminKey(context.Background(), cfg, rand.Reader, time.Now()); err != nil {
		t.Fatal(err)
	}
	s = startServer(t, app.Config{DataDir: dir, PublicURL: public})
	status, body := call(t, http.MethodGet, s.URL+"/admin/v1/accounts", "Bearer "+adminTok, "", "", "")
	if status != http.StatusUnauthorized {
		t.Errorf("an admin token issued before migrate --reset-admin-key: %d %s, want 401", status, body)
	}
	if status, body := call(t, http.MethodGet, s.URL+"/admin/v1/accounts", "Bearer "+s.AdminKey, "", "", ""); status != http.StatusOK {
		t.Errorf("the new admin key: %d %s", status, body)
	}
}

func TestTheFirstOperatorPasswordCanGoToAPrivateFile(t *testing.T) {
	s := startServerWith(t, app.Config{OperatorPasswordFile: true}, func(m *app.Main) { m.Config.AdminPassword = "" })
	path := filepath.Join(filepath.Dir(s.main.AdminKeyFile()), app.OperatorPasswordFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, info.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	pw := strings.TrimSpace(string(b))
	if len(pw) < 20 {
		t.Fatalf("password file holds %q", pw)
	}
	if out := s.Logs.String(); strings.Contains(out, pw) || !strings.Contains(out, path) {
		t.Errorf("stderr and log: the password appears (%v) or the file is not named (%v)", strings.Contains(out, pw), !strings.Contains(out, path))
	}
}
