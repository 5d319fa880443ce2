package masterkey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, Size)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealedDataOpensOnlyForTheSamePurposeObjectAndKey(t *testing.T) {
	k, err := New(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("the client secret")
	sealed, err := k.Seal(rand.Reader, "client-secret", plain, []byte("client-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed data contains the plaintext")
	}
	got, err := k.Open("client-secret", sealed, []byte("client-1"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v; want %q", got, err, plain)
	}
	other, _ := New(newKey(t))
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name    string
		keyring *Keyring
		purpose string
		sealed  []byte
		aad     string
		want    error
	}{
		{"another object", k, "client-secret", sealed, "client-2", ErrOpen},
		{"another purpose", k, "opaque-token", sealed, "client-1", ErrOpen},
		{"a flipped bit", k, "client-secret", tampered, "client-1", ErrOpen},
		{"a truncated value", k, "client-secret", sealed[:20], "client-1", ErrOpen},
		{"an empty value", k, "client-secret", nil, "client-1", ErrOpen},
		{"another master key", other, "client-secret", sealed, "client-1", ErrUnknownKey},
	}
	for _, tc := range cases {
		t.Run("it does not open with "+tc.name, func(t *testing.T) {
			_, err := tc.keyring.Open(tc.purpose, tc.sealed, []byte(tc.aad))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAfterARotationOldDataOpensAndNewDataUsesTheNewKey(t *testing.T) {
	oldKey, newKeyBytes := newKey(t), newKey(t)
	before, _ := New(oldKey)
	sealed, err := before.Seal(rand.Reader, "p", []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	after, err := New(newKeyBytes, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := after.Open("p", sealed, nil); err != nil || string(got) != "x" {
		t.Fatalf("old data after rotation: %q, %v", got, err)
	}
	fresh, _ := after.Seal(rand.Reader, "p", []byte("y"), nil)
	id, ok := KeyIDOf(fresh)
	if !ok || id != after.Current() || id == before.Current() {
		t.Fatalf("new data sealed under key %s, want the new current key %s", id, after.Current())
	}
	k1, _ := after.DeriveKey(after.Current(), "opaque-token/sandbox")
	k2, _ := after.DeriveKey(after.Current(), "opaque-token/production")
	if bytes.Equal(k1, k2) || len(k1) != 32 {
		t.Fatal("derived keys of two purposes are equal or not 32 bytes")
	}
}

func TestParse(t *testing.T) {
	key := newKey(t)
	std := "  " + b64(key) + "\n"
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"a padded base64 key with white space", std, true},
		{"two keys separated by a comma", b64(key) + "," + b64(newKey(t)), true},
		{"a key that is not base64", "not base64!", false},
		{"a key of 16 bytes", b64(key[:16]), false},
		{"nothing", " \n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("Parse: err %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Run("a configured key is used and no file is written", func(t *testing.T) {
		dir := t.TempDir()
		key := newKey(t)
		k, src, err := Load(b64(key), dir, rand.Reader)
		if err != nil || src != FromConfig {
			t.Fatalf("Load: %v, source %v", err, src)
		}
		want, _ := New(key)
		if k.Current() != want.Current() {
			t.Fatal("the configured key is not the current key")
		}
		if _, err := os.Stat(filepath.Join(dir, FileName)); !os.IsNotExist(err) {
			t.Fatalf("a master.key was written: %v", err)
		}
	})
	t.Run("the first start generates master.key with mode 0600 and later starts read it", func(t *testing.T) {
		dir := t.TempDir()
		k1, src, err := Load("", dir, rand.Reader)
		if err != nil || src != GeneratedFile {
			t.Fatalf("first Load: %v, source %v", err, src)
		}
		fi, err := os.Stat(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("master.key has mode %v, want 0600", fi.Mode().Perm())
		}
		k2, src, err := Load("", dir, rand.Reader)
		if err != nil || src != FromFile || k2.Current() != k1.Current() {
			t.Fatalf("second Load: %v, source %v, same key %v", err, src, k2.Current() == k1.Current())
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
		if len(leftovers) != 0 {
			t.Errorf("temporary files left behind: %v", leftovers)
		}
	})
	t.Run("processes starting at once agree on one key", func(t *testing.T) {
		dir := t.TempDir()
		ids := make([]KeyID, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				k, _, err := Load("", dir, rand.Reader)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = k.Current()
			})
		}
		wg.Wait()
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("concurrent loads returned keys %v", ids)
			}
		}
	})
	t.Run("a damaged master.key is an error, not a new key", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, FileName), []byte("garbage"), 0o600)
		if _, _, err := Load("", dir, rand.Reader); err == nil || !strings.Contains(err.Error(), FileName) {
			t.Fatalf("Load: %v, want an error naming the file", err)
		}
	})
}

func b64(b []byte) string { return strings.TrimSpace(mustEncode(b)) }

func mustEncode(b []byte) string {
	s, _ := Generate(bytes.NewReader(b))
	return s
}

func TestSealerTellsSealedFromPlainAndCurrentFromOld(t *testing.T) {
	oldKey, newKey := make([]byte, Size), make([]byte, Size)
	rand.Read(oldKey)
	rand.Read(newKey)
	old, _ := New(oldKey)
	rotated, _ := New(newKey, oldKey)
	s := old.Sealer("signing-key", rand.Reader)
	der := []byte{0x30, 0x81, 0x87, 0x02, 0x01, 0x00}
	sealed, err := s.Seal(der, []byte("sandbox/k1"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Sealed(der) || !s.Sealed(sealed) || !s.Current(sealed) {
		t.Fatalf("Sealed(plain) = %v, Sealed(sealed) = %v, Current = %v", s.Sealed(der), s.Sealed(sealed), s.Current(sealed))
	}
	r := rotated.Sealer("signing-key", rand.Reader)
	if r.Current(sealed) {
		t.Error("data sealed under the old key is current after a rotation")
	}
	if got, err := r.Open(sealed, []byte("sandbox/k1")); err != nil || !bytes.Equal(got, der) {
		t.Errorf("the rotated keyring opens %x, %v", got, err)
	}
	if _, err := rotated.Sealer("reveal", rand.Reader).Open(sealed, []byte("sandbox/k1")); err == nil {
		t.Error("data sealed for one purpose opened for another")
	}
}
