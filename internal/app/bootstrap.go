package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/password"
	"github.com/gatehouse-dev/gatehouse/internal/provision"
)

// Names the first start gives to what it creates.
const (
	adminClientName = "gatehouse-admin"
	operatorEmail   = "admin@localhost"
	operatorAccount = "Gatehouse operators"
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
	res, err := provision.Environment(ctx, m.store, provision.New(name, gatehouse.AlgES256), m.Rand, m.Now())
	if err != nil {
		return fmt.Errorf("environment %s: %w", name, err)
	}
	if k := res.Key; k != nil {
		m.Logger.Info("created signing key", "environment", name, "kid", k.ID, "alg", k.Algorithm)
	}
	return nil
}

// ensureAdminKey makes sure the admin client exists. The first start
// creates it and writes its API key to admin.key. Later starts leave it
// alone: another replica on the same database may hold the key, and
// rotating it here would lock that one out. A missing or stale admin.key is
// reported; `gatehouse migrate --reset-admin-key` replaces it.
func (m *Main) ensureAdminKey(ctx context.Context) error {
	client, err := findAdminClient(ctx, m.store)
	if err != nil {
		return err
	}
	path := adminKeyPath(m.Config.DataDir)
	if client == nil {
		if err := writeAdminKey(ctx, m.store, nil, path, m.Rand, m.Now()); err != nil {
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
	client, err := findAdminClient(ctx, store)
	if err != nil {
		return "", err
	}
	path = adminKeyPath(cfg.DataDir)
	return path, writeAdminKey(ctx, store, client, path, r, now)
}

// writeAdminKey gives the admin client (created when nil) a new secret and
// writes its API key to path with mode 0600.
func writeAdminKey(ctx context.Context, store gatehouse.Store, client *gatehouse.Client, path string, r io.Reader, now time.Time) error {
	secret, err := gatehouse.NewSecret(r)
	if err != nil {
		return err
	}
	now = now.UTC()
	if client == nil {
		acct := &gatehouse.Account{Name: operatorAccount, CreatedAt: now}
		if err := store.CreateAccount(ctx, acct); err != nil {
			return fmt.Errorf("operators account: %w", err)
		}
		id, err := gatehouse.NewClientID(r)
		if err != nil {
			return err
		}
		client = &gatehouse.Client{
			ID: id, Environment: gatehouse.EnvAdmin, AccountID: acct.ID, Name: adminClientName,
			Scopes: []string{gatehouse.ScopeAdminRead, gatehouse.ScopeAdminWrite}, Status: gatehouse.ClientActive,
			Secrets:   []gatehouse.Secret{{Hash: gatehouse.HashSecret(secret), CreatedAt: now}},
			CreatedAt: now, UpdatedAt: now,
		}
		if err := store.CreateClient(ctx, client); err != nil {
			return fmt.Errorf("admin client: %w", err)
		}
	} else {
		client.Secrets = []gatehouse.Secret{{Hash: gatehouse.HashSecret(secret), CreatedAt: now}}
		client.UpdatedAt = now
		if err := store.UpdateClient(ctx, client); err != nil {
			return fmt.Errorf("admin client: %w", err)
		}
	}
	if err := writeFileAtomic(path, []byte(gatehouse.FormatAPIKey(gatehouse.EnvAdmin, client.ID, secret)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin key: %w", err)
	}
	return nil
}

func findAdminClient(ctx context.Context, store gatehouse.Store) (*gatehouse.Client, error) {
	for f := (gatehouse.ClientFilter{Environment: gatehouse.EnvAdmin, Limit: 1000}); ; {
		page, err := store.Clients(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list admin clients: %w", err)
		}
		for _, c := range page {
			if c.Name == adminClientName && c.Active() {
				return c, nil
			}
		}
		if len(page) < f.Limit {
			return nil, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

// ensureOperator creates the first operator user. Its password is
// GATEHOUSE_ADMIN_PASSWORD, or a random one printed once to the terminal
// (never to the log).
func (m *Main) ensureOperator(ctx context.Context) error {
	_, err := m.store.UserByEmail(ctx, operatorEmail)
	if err == nil {
		return nil
	} else if !errors.Is(err, gatehouse.ErrNotFound) {
		return fmt.Errorf("operator user: %w", err)
	}
	pw := m.Config.AdminPassword
	generated := pw == ""
	if generated {
		if pw, err = gatehouse.RandomString(m.Rand, 20); err != nil {
			return err
		}
	}
	hash, err := password.Hash(pw, m.Rand)
	if err != nil {
		return err
	}
	u := &gatehouse.User{Email: operatorEmail, PasswordHash: hash, Operator: true, CreatedAt: m.Now().UTC()}
	if err := m.store.CreateUser(ctx, u); errors.Is(err, gatehouse.ErrConflict) {
		return nil // another replica created it
	} else if err != nil {
		return fmt.Errorf("operator user: %w", err)
	}
	if generated {
		fmt.Fprintf(m.Stderr, "\nFirst start: operator %s has password %s\n(shown once; set GATEHOUSE_ADMIN_PASSWORD to choose it)\n\n", operatorEmail, pw)
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
