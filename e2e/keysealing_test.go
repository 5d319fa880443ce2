package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// signingKeySecrets opens the data directory's database with its master
// key and returns, for every signing key, its PKCS #8 DER and raw private
// scalar: what must never be found in the database files.
func signingKeySecrets(t *testing.T, dataDir string) [][]byte {
	t.Helper()
	ctx := context.Background()
	k, _, err := masterkey.Load("", dataDir, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, "sqlite://"+filepath.Join(dataDir, "gatehouse.db"), sqlstore.WithKeySealer(k.Sealer("signing-key", rand.Reader)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var parts [][]byte
	for _, env := range []string{"sandbox", "production", gatehouse.EnvAdmin} {
		list, err := st.SigningKeys(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		for _, sk := range list {
			parts = append(parts, sk.PrivateKey)
			pk, err := x509.ParsePKCS8PrivateKey(sk.PrivateKey)
			if err != nil {
				t.Fatalf("key %s/%s does not parse: %v", env, sk.ID, err)
			}
			if ec, ok := pk.(*ecdsa.PrivateKey); ok {
				b, _ := ec.Bytes()
				parts = append(parts, b)
			}
		}
	}
	if len(parts) < 6 {
		t.Fatalf("found %d key parts, want at least two per environment", len(parts))
	}
	return parts
}

// filesHolding returns the database files (and their -wal, -shm) of
// dataDir that contain one of parts.
func filesHolding(t *testing.T, dataDir string, parts [][]byte) []string {
	t.Helper()
	var found []string
	db := filepath.Join(dataDir, "gatehouse.db")
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if bytes.Contains(b, p) {
				found = append(found, filepath.Base(f))
				break
			}
		}
	}
	return found
}

func TestNoSigningKeyByteIsInTheDatabaseFiles(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, app.Config{DataDir: dir})
	c := s.createClient(t, wire.CreateClientRequest{})
	if a := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); a.status != 200 {
		t.Fatalf("token: %+v", a)
	}
	db := filepath.Join(dir, "gatehouse.db")
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if info, err := os.Stat(f); err != nil {
			t.Errorf("%s: %v", f, err)
		} else if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(f), info.Mode().Perm())
		}
	}
	// While the server runs, then after it stopped.
	parts := signingKeySecrets(t, dir)
	if found := filesHolding(t, dir, parts); len(found) > 0 {
		t.Errorf("while serving, private key bytes are in %v", found)
	}
	s.stop()
	if found := filesHolding(t, dir, parts); len(found) > 0 {
		t.Errorf("after stopping, private key bytes are in %v", found)
	}
}

func TestKeysInTheClearAreSealedOnTheNextStartAndKeepSigning(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // a pre-made volume
		t.Fatal(err)
	}
	ctx := context.Background()
	db := filepath.Join(dir, "gatehouse.db")
	// A database written before sealing, readable by everyone.
	st, err := sqlstore.Open(ctx, "sqlite://"+db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.CreateEnvironment(ctx, &gatehouse.Environment{Name: "sandbox", SigningAlgorithm: gatehouse.AlgES256,
		Tokens: gatehouse.DefaultTokenSettings(), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	legacy, err := keys.Generate("sandbox", gatehouse.AlgES256, gatehouse.KeyActive, rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSigningKey(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	st.Close()
	os.Chmod(db, 0o644)
	if found := filesHolding(t, dir, [][]byte{legacy.PrivateKey}); len(found) == 0 {
		t.Fatal("the key written in the clear is not found: the scan proves nothing")
	}

	s := startServer(t, app.Config{DataDir: dir})
	if !strings.Contains(s.Logs.String(), "sealed signing keys under the current master key") {
		t.Error("the start did not say it sealed the keys")
	}
	if !strings.Contains(s.Logs.String(), "the data directory is accessible to other users") {
		t.Error("no warning about a data directory other users can read")
	}
	if info, _ := os.Stat(db); info.Mode().Perm() != 0o600 {
		t.Errorf("the database keeps mode %04o, want 0600", info.Mode().Perm())
	}
	c := s.createClient(t, wire.CreateClientRequest{})
	_, kid := fetchSignedToken(t, s, "sandbox", c)
	if kid != legacy.ID {
		t.Errorf("tokens are signed by %s, want the key from before sealing, %s", kid, legacy.ID)
	}
	s.stop()
	if found := filesHolding(t, dir, append(signingKeySecrets(t, dir), legacy.PrivateKey)); len(found) > 0 {
		t.Errorf("private key bytes remain in %v", found)
	}
}
