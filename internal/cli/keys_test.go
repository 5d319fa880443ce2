package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

func TestKeysCommands(t *testing.T) {
	srv := startAdminServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	k, err := keys.Generate("sandbox", gatehouse.AlgES256, gatehouse.KeyActive, rand.Reader, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.store.CreateSigningKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}

	t.Run("keys list shows the active key", func(t *testing.T) {
		out, _ := mustRun(t, "keys", "list", "--server", srv.url, "--env", "sandbox")
		if !strings.Contains(out, k.ID) || !strings.Contains(out, "active") || strings.Contains(out, "PRIVATE") {
			t.Fatalf("output:\n%s", out)
		}
	})

	var rotated adminclient.RotateKeysResponse
	t.Run("keys rotate --alg EdDSA --json publishes a next key", func(t *testing.T) {
		out, _ := mustRun(t, "keys", "rotate", "--server", srv.url, "--env", "sandbox", "--alg", "EdDSA", "--json")
		decodeJSON(t, out, &rotated)
		if rotated.Key.State != "next" || rotated.Key.Algorithm != "EdDSA" || rotated.Key.ActivatesAt == nil || len(rotated.Keys.Items) != 2 {
			t.Fatalf("output %s", out)
		}
		if strings.Contains(out, `"d"`) {
			t.Fatalf("the output holds a private key member: %s", out)
		}
	})

	t.Run("keys rotate while a rotation is under way fails and names the next key", func(t *testing.T) {
		_, _, err := run(t, "keys", "rotate", "--server", srv.url, "--env", "sandbox")
		if err == nil || !strings.Contains(err.Error(), rotated.Key.KeyID) {
			t.Fatalf("err = %v, want a conflict naming %s", err, rotated.Key.KeyID)
		}
	})

	t.Run("keys rotate of an unknown environment fails", func(t *testing.T) {
		if _, _, err := run(t, "keys", "rotate", "--server", srv.url, "--env", "nowhere"); err == nil {
			t.Fatal("no error")
		}
	})

	// A key id is base64url and may start with "-": "--" ends the flags.
	t.Run("keys cancel drops the pending next key and refuses the active one", func(t *testing.T) {
		if _, _, err := run(t, "keys", "cancel", "--server", srv.url, "--env", "sandbox", "--", k.ID); err == nil ||
			!strings.Contains(err.Error(), "not next") {
			t.Fatalf("cancelling the active key: %v, want a refusal", err)
		}
		out, _ := mustRun(t, "keys", "cancel", "--server", srv.url, "--env", "sandbox", "--", rotated.Key.KeyID)
		if strings.Contains(out, rotated.Key.KeyID+" ") && strings.Contains(out, "next") {
			t.Fatalf("the next key is still listed:\n%s", out)
		}
	})

	var now adminclient.RotateKeysResponse
	t.Run("keys rotate --now makes a key active at once", func(t *testing.T) {
		out, _ := mustRun(t, "keys", "rotate", "--server", srv.url, "--env", "sandbox", "--now", "--json")
		decodeJSON(t, out, &now)
		if now.Key.State != "active" || now.Key.ActivatesAt != nil {
			t.Fatalf("output %s", out)
		}
		for _, item := range now.Keys.Items {
			if item.KeyID == k.ID && item.State != "retired" {
				t.Fatalf("the old key is %s, want retired", item.State)
			}
		}
	})

	t.Run("keys revoke takes the old key out", func(t *testing.T) {
		if _, _, err := run(t, "keys", "revoke", "--server", srv.url, "--env", "sandbox", "--", now.Key.KeyID); err == nil ||
			!strings.Contains(err.Error(), "rotate --now") {
			t.Fatalf("revoking the active key: %v, want a refusal that says to rotate --now first", err)
		}
		out, _ := mustRun(t, "keys", "revoke", "--server", srv.url, "--env", "sandbox", "--json", "--", k.ID)
		var list adminclient.SigningKeyList
		decodeJSON(t, out, &list)
		for _, item := range list.Items {
			if item.KeyID == k.ID && (item.State != "revoked" || item.RevokedAt == nil) {
				t.Fatalf("revoked key listed as %+v", item)
			}
		}
	})
}

func TestClientKeyCommands(t *testing.T) {
	srv := startAdminServer(t)
	clearEnv(t)
	t.Setenv("GATEHOUSE_ADMIN_KEY", testAdminKey)
	dir := t.TempDir()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	pemFile := filepath.Join(dir, "client.pub.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	jwksFile := filepath.Join(dir, "client.jwks.json")
	if err := os.WriteFile(jwksFile, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}

	var created adminclient.ClientWithSecret
	t.Run("client create --public-key-file registers the key", func(t *testing.T) {
		out, _ := mustRun(t, "client", "create", "--server", srv.url, "--env", "sandbox", "--name", "signer",
			"--public-key-file", pemFile, "--json")
		decodeJSON(t, out, &created)
		if !strings.Contains(created.PublicKeyPEM, "BEGIN PUBLIC KEY") {
			t.Fatalf("output %s", out)
		}
	})

	t.Run("client set-keys --jwks-file replaces it and show names the kid", func(t *testing.T) {
		mustRun(t, "client", "set-keys", created.ClientID, "--server", srv.url, "--jwks-file", jwksFile)
		out, _ := mustRun(t, "client", "show", created.ClientID, "--server", srv.url)
		if !strings.Contains(out, "private_key_jwt keys:") || !strings.Contains(out, "k1") {
			t.Fatalf("output:\n%s", out)
		}
	})

	t.Run("client set-keys --remove removes them", func(t *testing.T) {
		out, _ := mustRun(t, "client", "set-keys", created.ClientID, "--server", srv.url, "--remove", "--json")
		var c adminclient.Client
		decodeJSON(t, out, &c)
		if len(c.JWKS) != 0 || c.PublicKeyPEM != "" {
			t.Fatalf("keys left: %s", out)
		}
	})

	t.Run("client set-keys without keys or --remove fails", func(t *testing.T) {
		if _, _, err := run(t, "client", "set-keys", created.ClientID, "--server", srv.url); err == nil {
			t.Fatal("no error")
		}
	})

	t.Run("a private key file is refused by the server", func(t *testing.T) {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
		bad := filepath.Join(dir, "private.pem")
		os.WriteFile(bad, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600)
		_, _, err := run(t, "client", "set-keys", created.ClientID, "--server", srv.url, "--public-key-file", bad)
		if err == nil || !strings.Contains(err.Error(), "private key") {
			t.Fatalf("err = %v, want a refusal of the private key", err)
		}
	})
}
