package masterkey

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the name of the master key file in the data directory.
const FileName = "master.key"

// Source says where a keyring came from.
type Source int

// Where a keyring came from.
const (
	FromConfig    Source = iota // the configured value (GATEHOUSE_MASTER_KEY)
	FromFile                    // an existing {data-dir}/master.key
	GeneratedFile               // a master.key this call generated
)

// Load returns the master keyring. A non-empty configured value (base64
// keys, see Parse) is used as it is. Otherwise {dataDir}/master.key is read,
// and generated (randomness from r) if absent: it is written with mode 0600
// through a temporary file that is linked into place only if no file exists
// there yet, so two processes starting at once end up with the same key.
func Load(configured, dataDir string, r io.Reader) (*Keyring, Source, error) {
	if strings.TrimSpace(configured) != "" {
		k, err := Parse(configured)
		if err != nil {
			return nil, FromConfig, fmt.Errorf("configured master key: %w", err)
		}
		return k, FromConfig, nil
	}
	path := filepath.Join(dataDir, FileName)
	if k, err := readFile(path); err == nil {
		return k, FromFile, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, FromFile, err
	}
	key, err := Generate(r)
	if err != nil {
		return nil, GeneratedFile, err
	}
	created, err := createExclusive(path, []byte(key+"\n"), 0o600)
	if err != nil {
		return nil, GeneratedFile, fmt.Errorf("write %s: %w", path, err)
	}
	k, err := readFile(path) // another process may have been first
	if err != nil {
		return nil, GeneratedFile, err
	}
	if !created {
		return k, FromFile, nil
	}
	return k, GeneratedFile, nil
}

func readFile(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return k, nil
}

// createExclusive writes data to path with perm unless path exists: the
// data goes to a temporary file, which is synced and then hard-linked to
// path (link fails if path exists), so path never holds half a key.
func createExclusive(path string, data []byte, perm os.FileMode) (created bool, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return false, err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return false, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	if err := os.Link(f.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return true, nil
}
