package gatefile

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Version is the version of the format this package reads and writes.
const Version = 1

// Document is a Gatehouse file. An absent list is an empty one.
type Document struct {
	Version      int           `json:"version" yaml:"version"`
	Environments []Environment `json:"environments,omitempty" yaml:"environments,omitempty"`
	Accounts     []Account     `json:"accounts,omitempty" yaml:"accounts,omitempty"`
	Users        []User        `json:"users,omitempty" yaml:"users,omitempty"`
	Clients      []Client      `json:"clients,omitempty" yaml:"clients,omitempty"`
}

// Environment is an environment's settings. An absent setting takes the
// value a new environment gets (production: true only for the environment
// named production).
type Environment struct {
	Name             string         `json:"name" yaml:"name"`
	Production       *bool          `json:"production,omitempty" yaml:"production,omitempty"`
	SigningAlgorithm *string        `json:"signing_algorithm,omitempty" yaml:"signing_algorithm,omitempty"`
	AllowReveal      *bool          `json:"allow_reveal,omitempty" yaml:"allow_reveal,omitempty"`
	Tokens           *TokenSettings `json:"tokens,omitempty" yaml:"tokens,omitempty"`
	RateLimits       *RateLimits    `json:"rate_limits,omitempty" yaml:"rate_limits,omitempty"`
}

// TokenSettings are an environment's token settings.
type TokenSettings struct {
	Format          string `json:"format" yaml:"format"`
	LifetimeSeconds int64  `json:"lifetime_seconds" yaml:"lifetime_seconds"`
	Reuse           bool   `json:"reuse" yaml:"reuse"`
	DefaultAudience string `json:"default_audience,omitempty" yaml:"default_audience,omitempty"`
}

// RateLimits are an environment's token endpoint limits; a rate of 0 is off.
type RateLimits struct {
	ClientPerMinute int `json:"client_per_minute" yaml:"client_per_minute"`
	ClientBurst     int `json:"client_burst" yaml:"client_burst"`
	IPPerMinute     int `json:"ip_per_minute" yaml:"ip_per_minute"`
	IPBurst         int `json:"ip_burst" yaml:"ip_burst"`
}

// Account is an account, named by its numeric id (which legacy dialects
// return, so it moves with the account).
type Account struct {
	ID   int64  `json:"id" yaml:"id"`
	Name string `json:"name" yaml:"name"`
}

// User is a member of an account: a user, or a person invited who has not
// accepted yet (the file does not tell them apart; applying an entry
// nobody has invites them).
type User struct {
	Email    string `json:"email" yaml:"email"`
	Account  int64  `json:"account" yaml:"account"`
	Role     string `json:"role" yaml:"role"`
	Disabled bool   `json:"disabled,omitempty" yaml:"disabled,omitempty"`
}

// Client is a client credential. Absent lists are empty, absent token
// overrides take the environment's settings, an absent status is active.
type Client struct {
	ID           string          `json:"id" yaml:"id"`
	Environment  string          `json:"environment" yaml:"environment"`
	Account      int64           `json:"account" yaml:"account"`
	Name         string          `json:"name" yaml:"name"`
	Status       string          `json:"status,omitempty" yaml:"status,omitempty"`
	Scopes       []string        `json:"scopes,omitempty" yaml:"scopes,omitempty"`
	Audiences    []string        `json:"audiences,omitempty" yaml:"audiences,omitempty"`
	AllowedCIDRs []string        `json:"allowed_cidrs,omitempty" yaml:"allowed_cidrs,omitempty"`
	Tokens       *TokenOverrides `json:"tokens,omitempty" yaml:"tokens,omitempty"`
	JWKS         string          `json:"jwks,omitempty" yaml:"jwks,omitempty"`
	PublicKeyPEM string          `json:"public_key_pem,omitempty" yaml:"public_key_pem,omitempty"`
	// MustRotate marks a client imported without a usable credential: no
	// secret of it is accepted until one is issued.
	MustRotate bool `json:"must_rotate,omitempty" yaml:"must_rotate,omitempty"`
	// Secrets are the stored hashes of the client's secrets (export
	// --include-hashes); absent, the secrets of an existing client are left
	// as they are.
	Secrets []Secret `json:"secrets,omitempty" yaml:"secrets,omitempty"`
	// SecretFromEnv and SecretFromFile name where the CLI reads the
	// client's secret from; the file holds no secret.
	SecretFromEnv  string `json:"-" yaml:"secret_from_env,omitempty"`
	SecretFromFile string `json:"-" yaml:"secret_from_file,omitempty"`
	// Secret is the secret a reference resolved to, sent to the server;
	// never written to a file.
	Secret string `json:"secret,omitempty" yaml:"-"`
}

// TokenOverrides are a client's own token settings; an absent one takes
// the environment's.
type TokenOverrides struct {
	Format          *string `json:"format,omitempty" yaml:"format,omitempty"`
	LifetimeSeconds *int64  `json:"lifetime_seconds,omitempty" yaml:"lifetime_seconds,omitempty"`
	Reuse           *bool   `json:"reuse,omitempty" yaml:"reuse,omitempty"`
	DefaultAudience *string `json:"default_audience,omitempty" yaml:"default_audience,omitempty"`
}

// Secret is one of a client's secrets as stored: the SHA-256 (hex) of a
// Gatehouse secret, or the hash it was imported under from another server.
type Secret struct {
	SHA256    string     `json:"sha256,omitempty" yaml:"sha256,omitempty"`
	Imported  string     `json:"imported,omitempty" yaml:"imported,omitempty"`
	CreatedAt time.Time  `json:"created_at" yaml:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty" yaml:"expires_at,omitempty"`
}

// Sort puts every list of d in its canonical order: environments by name,
// accounts by id, users by account and email, clients by id, a client's
// scopes, audiences and allowlist by value and its secrets oldest first.
func (d *Document) Sort() {
	slices.SortFunc(d.Environments, func(a, b Environment) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(d.Accounts, func(a, b Account) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(d.Users, func(a, b User) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), strings.Compare(a.Email, b.Email))
	})
	slices.SortFunc(d.Clients, func(a, b Client) int { return strings.Compare(a.ID, b.ID) })
	for i := range d.Clients {
		c := &d.Clients[i]
		slices.Sort(c.Scopes)
		slices.Sort(c.Audiences)
		slices.Sort(c.AllowedCIDRs)
		slices.SortStableFunc(c.Secrets, func(a, b Secret) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.SHA256+a.Imported, b.SHA256+b.Imported))
		})
	}
}

// header starts every file Encode writes.
const header = "# Gatehouse file: `gatehouse apply -f FILE` makes a server match it (docs/declarative.md).\n"

// Encode writes d as YAML in canonical order (d is sorted in place):
// the same document always gives the same bytes.
func Encode(w io.Writer, d *Document) error {
	d.Sort()
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("encode the Gatehouse file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode the Gatehouse file: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Decode reads a Gatehouse file: one YAML document of this format's
// version, without unknown fields.
func Decode(r io.Reader) (*Document, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var d Document
	if err := dec.Decode(&d); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the Gatehouse file is empty")
		}
		return nil, fmt.Errorf("read the Gatehouse file: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("read the Gatehouse file: it must hold a single YAML document")
	}
	if d.Version != Version {
		return nil, fmt.Errorf("read the Gatehouse file: version: got %d, want %d", d.Version, Version)
	}
	return &d, nil
}
