package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
	"github.com/gatehouse-dev/gatehouse/internal/provision"
)

func adminKeyPath(dataDir string) string { return filepath.Join(dataDir, "admin.key") }

// bootstrap makes sure that what a first start creates exists: the sandbox,
// production and admin environments with an ES256 key each, the admin
// client whose API key is in {data-dir}/admin.key, and an operator user.
// Every step checks before it creates, so a restart (or a start interrupted
// half-way) changes nothing that exists.
func (m *Main) bootstrap(ctx context.Context) error {
	for _, name := range []string{gatehouse.EnvSandbox, gatehouse.EnvProduction, gatehouse.EnvAdmin} {
		if err := m.ensureEnvironment(ctx, name); err != nil {
			return err
		}
	}
	if err := m.ensureAdminKey(ctx); err != nil {
		return err
	}
	return m.ensureOperator(ctx)
}

// ensureEnvironment makes sure the environment exists with an active
// signing key; internal/provision does it, as for POST /admin/v1/environments.
func (m *Main) ensureEnvironment(ctx context.Context, name string) error {
	res, err := provision.Environment(ctx, m.store, provision.New(name, m.Config.SigningKeys.Algorithm), m.Rand, m.Now())
	if err != nil {
		return fmt.Errorf("environment %s: %w", name, err)
	}
	if k := res.Key; k != nil {
		m.Logger.Info("created signing key", "environment", name, "kid", k.ID, "alg", k.Algorithm)
	}
	return nil
}

// ensureAdminKey makes sure the admin client exists. The first start
// creates it (with its operators' account, in one transaction) and writes
// its API key to admin.key. Later starts leave it alone: another replica on
// the same database may hold the key, and rotating it here would lock that
// one out. A missing or stale admin.key is reported; `gatehouse migrate
// --reset-admin-key` replaces it.
func (m *Main) ensureAdminKey(ctx context.Context) error {
	client, err := m.service.FindAdminClient(ctx)
	if err != nil {
		return err
	}
	path := adminKeyPath(m.Config.DataDir)
	if client == nil {
		created, err := m.service.CreateAdminClient(ctx)
		if err != nil {
			return fmt.Errorf("admin client: %w", err)
		}
		if err := writeAdminKey(path, created); err != nil {
			return err
		}
		m.Logger.Info("created the admin client and wrote its API key", "path", path)
		return nil
	}
	if b, err := os.ReadFile(path); err == nil {
		id, secret, perr := gatehouse.ParseAPIKey(strings.TrimSpace(string(b)))
		if perr == nil && id == client.ID && client.VerifySecret(secret, m.Now()) {
			return nil
		}
	}
	m.Logger.Warn("admin.key is missing or does not match the admin client; copy it from the replica that created it, set GATEHOUSE_ADMIN_KEY for the CLI, or run `gatehouse migrate --reset-admin-key` (which invalidates the old key)",
		"path", path, "admin_client_id", client.ID)
	return nil
}

// ResetAdminKey gives the admin client a new secret and writes its API key
// to {data-dir}/admin.key; the old key stops working on every replica.
func ResetAdminKey(ctx context.Context, cfg Config, r io.Reader, now time.Time) (path string, err error) {
	cfg.Defaults()
	store, err := openStore(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return "", err
	}
	service := manage.New(manage.Config{Store: store, Rand: r, Now: func() time.Time { return now }})
	client, err := service.FindAdminClient(ctx)
	if err != nil {
		return "", err
	}
	var renewed *manage.ClientWithSecret
	if client == nil {
		renewed, err = service.CreateAdminClient(ctx)
	} else {
		renewed, err = service.RenewSecret(ctx, manage.System(), client.ID)
	}
	if err != nil {
		return "", fmt.Errorf("admin client: %w", err)
	}
	path = adminKeyPath(cfg.DataDir)
	return path, writeAdminKey(path, renewed)
}

// writeAdminKey writes the admin client's API key to path with mode 0600.
func writeAdminKey(path string, c *manage.ClientWithSecret) error {
	if err := writeFileAtomic(path, []byte(c.APIKey()+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin key: %w", err)
	}
	return nil
}

// OperatorPasswordFileName is the file in the data directory that receives
// the first operator's generated password when Config.OperatorPasswordFile
// is set.
const OperatorPasswordFileName = "operator-password"

// ensureOperator creates the first operator user. Its password is
// GATEHOUSE_ADMIN_PASSWORD, or a random one shown once: on the terminal
// (never the log), or, with OperatorPasswordFile, in a 0600 file of the data
// directory, since stderr often ends up in a log collector.
func (m *Main) ensureOperator(ctx context.Context) error {
	pw := m.Config.AdminPassword
	generated := pw == ""
	if generated {
		var err error
		if pw, err = gatehouse.RandomString(m.Rand, 20); err != nil {
			return err
		}
	}
	file := filepath.Join(m.Config.DataDir, OperatorPasswordFileName)
	toFile := generated && m.Config.OperatorPasswordFile
	if toFile {
		// Written before the user exists, so that a failure leaves no
		// operator whose password nobody has.
		if err := writeFileAtomic(file, []byte(pw+"\n"), 0o600); err != nil {
			return fmt.Errorf("write the operator password: %w", err)
		}
	}
	created, err := m.service.EnsureOperator(ctx, pw)
	if err != nil || !created {
		if toFile {
			os.Remove(file) // the operator exists already: this password is no one's
		}
		return err
	}
	switch {
	case toFile:
		fmt.Fprintf(m.Stderr, "\nFirst start: the password of operator %s is in %s (mode 0600); sign in, change it and delete the file\n\n",
			manage.OperatorEmail, file)
	case generated:
		fmt.Fprintf(m.Stderr, "\nFirst start: operator %s has password %s\n(shown once; set GATEHOUSE_ADMIN_PASSWORD to choose it, or --operator-password-file to write it to a file instead)\n\n", manage.OperatorEmail, pw)
	}
	return nil
}

// writeFileAtomic writes data to path with perm via a temporary file and a
// rename, so a crash never leaves a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
