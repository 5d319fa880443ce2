package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gatehouse-dev/gatehouse/internal/sqlstore"
)

// signingKeyPurpose names the master-key derivation that seals signing
// keys' private keys in the database.
const signingKeyPurpose = "signing-key"

// privateDatabaseFiles makes a SQLite database file readable by its owner
// only: it creates a missing file with mode 0600 (SQLite then gives its
// write-ahead log and shared-memory files the same mode) and takes group
// and other access away from an existing one and its -wal and -shm files.
// Anyone who can read the file can read every credential hash, audit event
// and sealed secret in it.
func privateDatabaseFiles(dsn string) error {
	path, ok := sqlstore.SQLiteFile(dsn)
	if !ok {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create database file: %w", err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("database file: %w", err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, info.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make %s private: %w", p, err)
			}
		}
	}
	return nil
}

// warnIfDataDirIsShared warns when the data directory (master key, admin
// key, SQLite database) can be read or entered by users other than its
// owner, as a pre-made Docker volume or systemd directory often can.
func (m *Main) warnIfDataDirIsShared() {
	info, err := os.Stat(m.Config.DataDir)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return
	}
	m.Logger.Warn("the data directory is accessible to other users; it holds the master key, the admin key and the database: chmod 700 it",
		"path", m.Config.DataDir, "mode", fmt.Sprintf("%04o", info.Mode().Perm()))
}
