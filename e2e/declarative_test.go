package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/cli"
)

// gatehouseCLI runs the gatehouse command line against s (its admin key in
// a file) and returns what it printed.
func gatehouseCLI(t *testing.T, s *server, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "admin.key")
	if err := os.WriteFile(keyFile, []byte(s.AdminKey), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code = cli.Execute(context.Background(), append(args, "--server", s.URL, "--admin-key-file", keyFile), &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestMoveAServerWithExportAndApply moves a populated server to an empty
// one with `gatehouse export --include-hashes` and `gatehouse apply`: the
// new server exports the same bytes, and the moved clients' secrets (both
// of a rotation in grace), legacy API key and private_key_jwt keys work at
// its token endpoint. Applying again changes nothing; no secret reaches the
// command's output or either server's logs.
func TestMoveAServerWithExportAndApply(t *testing.T) {
	t.Setenv("GATEHOUSE_ADMIN_KEY", "")
	t.Chdir(t.TempDir())
	ctx := context.Background()
	a := startServer(t, app.Config{})

	acct, err := a.Admin.CreateAccount(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Admin.UpdateEnvironment(ctx, "sandbox", wire.UpdateEnvironmentRequest{
		TokenSettings: &wire.TokenSettingsPatch{LifetimeSeconds: wire.Some[int64](1800)}}); err != nil {
		t.Fatal(err)
	}
	c := a.createClient(t, wire.CreateClientRequest{AccountID: acct.ID, Name: "ledger", Scopes: []string{"ledger:read"},
		Audiences: []string{"https://ledger.example.com"}, AllowedCIDRs: []string{"127.0.0.0/8"}})
	if _, err := a.Admin.UpdateClient(ctx, c.ClientID, wire.UpdateClientRequest{
		TokenOverrides: &wire.TokenSettingsPatch{LifetimeSeconds: wire.Some[int64](600), Reuse: wire.Some(true)}}); err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "ec-1", Use: "sig"}}})
	if _, err := a.Admin.SetClientKeys(ctx, c.ClientID, wire.SetClientKeysRequest{JWKS: set}); err != nil {
		t.Fatal(err)
	}
	rotated, err := a.Admin.RotateClientSecret(ctx, c.ClientID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const legacyKey = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	if rep, err := a.Admin.Import(ctx, strings.NewReader("api_key,account,environment\n"+legacyKey+","+
		strconv.FormatInt(acct.ID, 10)+",production\n"), true); err != nil || rep.Created != 1 {
		t.Fatalf("import of a legacy key: %+v, %v", rep, err)
	}
	if _, err := a.Admin.InviteUser(ctx, acct.ID, "dev@acme.example", "developer"); err != nil {
		t.Fatal(err)
	}

	want, stderr, code := gatehouseCLI(t, a, "export", "--include-hashes")
	if code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	if again, _, _ := gatehouseCLI(t, a, "export", "--include-hashes"); again != want {
		t.Fatal("two exports of an unchanged server differ")
	}
	if err := os.WriteFile("move.yaml", []byte(want), 0o600); err != nil {
		t.Fatal(err)
	}

	b := startServer(t, app.Config{})
	out, stderr, code := gatehouseCLI(t, b, "apply", "-f", "move.yaml", "--secrets-out", "new.yaml")
	if code != 0 {
		t.Fatalf("apply: %s\n%s", out, stderr)
	}
	if !strings.Contains(out, "Applied.") || !strings.Contains(out, "+ create client "+c.ClientID) {
		t.Fatalf("apply printed:\n%s", out)
	}
	got, _, _ := gatehouseCLI(t, b, "export", "--include-hashes")
	if got != want {
		t.Fatalf("the new server exports\n%s\nthe old one\n%s", got, want)
	}
	if out, _, code := gatehouseCLI(t, b, "apply", "-f", "move.yaml", "--secrets-out", "again.yaml"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("a second apply: %s", out)
	}

	tokenOK := func(env, id, secret string) bool {
		t.Helper()
		resp := postForm(t, b.tokenURL(env), url.Values{"grant_type": {"client_credentials"}}, id, secret)
		return resp.StatusCode == http.StatusOK
	}
	for name, secret := range map[string]string{"the new secret": rotated.ClientSecret, "the old secret in its grace period": c.ClientSecret} {
		if !tokenOK("sandbox", c.ClientID, secret) {
			t.Errorf("%s of the moved client is refused by the new server", name)
		}
	}
	if tokenOK("sandbox", c.ClientID, "wrong-"+rotated.ClientSecret) {
		t.Error("a wrong secret works on the new server")
	}
	if !tokenOK("production", gatehouse.LegacyKeyClientID(legacyKey), legacyKey) {
		t.Error("the legacy key is refused by the new server")
	}
	signer := assertionSigner{clientID: c.ClientID, alg: jose.ES256, key: ec, kid: "ec-1"}
	resp := postForm(t, b.tokenURL("sandbox"), assertionForm(signer.assertion(t, b.URL+"/realms/sandbox")), "", "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("private_key_jwt with the moved JWKS: status %d", resp.StatusCode)
	}

	b1, _ := os.ReadFile("new.yaml")
	if !strings.Contains(string(b1), "/ui/invitations/") {
		t.Errorf("the invitation link is not in the secrets file:\n%s", b1)
	}
	for _, secret := range []string{rotated.ClientSecret, c.ClientSecret, legacyKey, rotated.APIKey} {
		for where, text := range map[string]string{"the export": want, "the apply's output": out + stderr,
			"the old server's logs": a.Logs.String(), "the new server's logs": b.Logs.String()} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds a secret", where)
			}
		}
	}
}
