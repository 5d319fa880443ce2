package sqlstore

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
)

// newKeyring returns a keyring of fresh random keys, the first current.
func newKeyring(t *testing.T, keys ...[]byte) *masterkey.Keyring {
	t.Helper()
	if len(keys) == 0 {
		k := make([]byte, masterkey.Size)
		rand.Read(k)
		keys = append(keys, k)
	}
	k, err := masterkey.New(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func randomKey() []byte {
	k := make([]byte, masterkey.Size)
	rand.Read(k)
	return k
}

// openSealed opens dsn with signing keys sealed by k (nil: in the clear),
// migrated, and closes it when t ends.
func openSealed(t *testing.T, dsn string, k *masterkey.Keyring) *Store {
	t.Helper()
	var opts []Option
	if k != nil {
		opts = append(opts, WithKeySealer(k.Sealer("signing-key", rand.Reader)))
	}
	s, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// sealingDialects runs test on a fresh SQLite file and, when configured, a
// fresh PostgreSQL schema.
func sealingDialects(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, newPostgresServer(t).newSchema(t)) })
}

// addKey creates the environment if needed and a signing key of alg in it.
func addKey(t *testing.T, s *Store, env, alg string) *gatehouse.SigningKey {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	if _, err := s.Environment(ctx, env); err != nil {
		if err := s.CreateEnvironment(ctx, &gatehouse.Environment{Name: env, SigningAlgorithm: alg,
			Tokens: gatehouse.DefaultTokenSettings(), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := keys.Generate(env, alg, gatehouse.KeyRetired, rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSigningKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	return k
}

// storedKey returns the private_key column of env/id as stored.
func storedKey(t *testing.T, s *Store, env, id string) []byte {
	t.Helper()
	var b []byte
	if err := s.pool().queryRow(context.Background(), `SELECT private_key FROM signing_keys WHERE environment = ? AND id = ?`, env, id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// privateKey returns the key env/id as the store reads it back.
func privateKey(t *testing.T, s *Store, env, id string) []byte {
	t.Helper()
	list, err := s.SigningKeys(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list {
		if k.ID == id {
			return k.PrivateKey
		}
	}
	t.Fatalf("no key %s/%s", env, id)
	return nil
}

func TestSigningKeysAreSealedUnderTheMasterKey(t *testing.T) {
	sealingDialects(t, func(t *testing.T, dsn string) {
		s := openSealed(t, dsn, newKeyring(t))
		k := addKey(t, s, "sandbox", gatehouse.AlgES256)
		if got := privateKey(t, s, "sandbox", k.ID); !bytes.Equal(got, k.PrivateKey) {
			t.Fatal("the key read back is not the key written")
		}
		if raw := storedKey(t, s, "sandbox", k.ID); bytes.Contains(raw, k.PrivateKey) || bytes.Equal(raw[:1], k.PrivateKey[:1]) {
			t.Fatal("the stored private key is in the clear")
		}
		// An emergency activation writes its key sealed too.
		now := time.Now()
		urgent, err := keys.Generate("sandbox", gatehouse.AlgES256, gatehouse.KeyActive, rand.Reader, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ActivateSigningKey(context.Background(), urgent, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if raw := storedKey(t, s, "sandbox", urgent.ID); bytes.Contains(raw, urgent.PrivateKey) {
			t.Fatal("an activated key is stored in the clear")
		}
		if got := privateKey(t, s, "sandbox", urgent.ID); !bytes.Equal(got, urgent.PrivateKey) {
			t.Fatal("the activated key read back is not the key written")
		}
		other := openSealed(t, dsn, newKeyring(t))
		if _, err := other.SigningKeys(context.Background(), "sandbox"); err == nil {
			t.Fatal("a store with another master key read the key")
		}
	})
}

func TestResealSealsKeysInTheClearAndKeysUnderAnOldMasterKey(t *testing.T) {
	sealingDialects(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		legacy := openSealed(t, dsn, nil)
		k := addKey(t, legacy, "sandbox", gatehouse.AlgEdDSA)
		if !bytes.Equal(storedKey(t, legacy, "sandbox", k.ID), k.PrivateKey) {
			t.Fatal("without a sealer the key is not stored as it is")
		}
		oldKey, newKey := randomKey(), randomKey()
		s := openSealed(t, dsn, newKeyring(t, oldKey))
		if got := privateKey(t, s, "sandbox", k.ID); !bytes.Equal(got, k.PrivateKey) {
			t.Fatal("a key in the clear is not readable before it is sealed")
		}
		if n, err := s.ResealSigningKeys(ctx); err != nil || n != 1 {
			t.Fatalf("reseal = %d, %v; want 1", n, err)
		}
		sealed := storedKey(t, s, "sandbox", k.ID)
		if id, ok := masterkey.KeyIDOf(sealed); !ok || id != newKeyring(t, oldKey).Current() {
			t.Fatal("the key is not sealed under the master key")
		}
		if n, err := s.ResealSigningKeys(ctx); err != nil || n != 0 {
			t.Fatalf("a second reseal = %d, %v; want 0", n, err)
		}

		// The master key rotates: the new one is current, the old one still
		// opens, and the next start seals again under the new one.
		rotated := openSealed(t, dsn, newKeyring(t, newKey, oldKey))
		if n, err := rotated.ResealSigningKeys(ctx); err != nil || n != 1 {
			t.Fatalf("reseal after a rotation = %d, %v; want 1", n, err)
		}
		onlyNew := openSealed(t, dsn, newKeyring(t, newKey))
		if got := privateKey(t, onlyNew, "sandbox", k.ID); !bytes.Equal(got, k.PrivateKey) {
			t.Fatal("after resealing, the new master key alone does not open the key")
		}

		// A sealed key moved to another row does not open there.
		if _, err := onlyNew.pool().exec(ctx, `UPDATE signing_keys SET id = 'moved' WHERE id = ?`, k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := onlyNew.SigningKeys(ctx, "sandbox"); err == nil {
			t.Fatal("a sealed key opened under another id")
		}
	})
}

// secretParts returns what must never be found in a database file for a
// PKCS #8 private key: its DER and its raw private scalar(s).
func secretParts(t *testing.T, der []byte) [][]byte {
	t.Helper()
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{der}
	switch k := pk.(type) {
	case *ecdsa.PrivateKey:
		b, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, b)
	case ed25519.PrivateKey:
		parts = append(parts, k.Seed())
	case *rsa.PrivateKey:
		parts = append(parts, k.D.Bytes(), k.Primes[0].Bytes(), k.Primes[1].Bytes())
	default:
		t.Fatalf("unexpected key type %T", pk)
	}
	return parts
}

// findIn reports which files under path (the database, its -wal and -shm)
// contain one of parts.
func findIn(t *testing.T, path string, parts [][]byte) []string {
	t.Helper()
	var found []string
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for i, p := range parts {
			if bytes.Contains(b, p) {
				found = append(found, filepath.Base(f)+" holds part "+string(rune('0'+i)))
			}
		}
	}
	return found
}

func TestNoPrivateKeyByteIsInTheSQLiteFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	dsn := "sqlite://" + path
	var parts [][]byte

	// A database from before sealing holds keys in the clear.
	legacy := openSealed(t, dsn, nil)
	for _, alg := range []string{gatehouse.AlgES256, gatehouse.AlgEdDSA, gatehouse.AlgRS256} {
		k := addKey(t, legacy, "env-"+map[string]string{gatehouse.AlgES256: "es", gatehouse.AlgEdDSA: "ed", gatehouse.AlgRS256: "rs"}[alg], alg)
		parts = append(parts, secretParts(t, k.PrivateKey)...)
	}
	if len(findIn(t, path, parts)) == 0 {
		t.Fatal("the scan finds no key in a database that holds them in the clear: it proves nothing")
	}
	legacy.Close()

	k := newKeyring(t)
	s := openSealed(t, dsn, k)
	if n, err := s.ResealSigningKeys(context.Background()); err != nil || n != 3 {
		t.Fatalf("reseal = %d, %v", n, err)
	}
	fresh := addKey(t, s, "sandbox", gatehouse.AlgES256)
	parts = append(parts, secretParts(t, fresh.PrivateKey)...)
	if found := findIn(t, path, parts); len(found) > 0 {
		t.Errorf("while the store is open: %v", found)
	}
	s.Close()
	if found := findIn(t, path, parts); len(found) > 0 {
		t.Errorf("after the store is closed: %v", found)
	}
}
