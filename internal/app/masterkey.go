package app

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
)

// loadMasterKey sets m.masterKey from Config.MasterKey
// (GATEHOUSE_MASTER_KEY) or {data-dir}/master.key, generating the file on
// first start. The key never goes to the database or the log.
func (m *Main) loadMasterKey() error {
	k, src, err := masterkey.Load(m.Config.MasterKey, m.Config.DataDir, m.Rand)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	m.masterKey = k
	path := filepath.Join(m.Config.DataDir, masterkey.FileName)
	switch src {
	case masterkey.GeneratedFile:
		m.Logger.Info("generated the master key (keep a copy: without it opaque tokens and revealable secrets cannot be read)",
			"path", path, "key_id", k.Current().String())
		if !strings.HasPrefix(m.Config.Database, "sqlite:") {
			m.Logger.Warn("replicas sharing a database must share the master key: set GATEHOUSE_MASTER_KEY to the content of this file on every replica",
				"path", path)
		}
	case masterkey.FromFile:
		m.Logger.Debug("read the master key", "path", path, "key_id", k.Current().String())
	case masterkey.FromConfig:
		m.Logger.Debug("using the configured master key", "key_id", k.Current().String())
	}
	return nil
}
