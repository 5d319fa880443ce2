package gatehouse

import (
	"context"
	"time"
)

// EnvironmentStore keeps environments.
type EnvironmentStore interface {
	CreateEnvironment(ctx context.Context, env *Environment) error
	Environment(ctx context.Context, name string) (*Environment, error)
	Environments(ctx context.Context) ([]*Environment, error)
	UpdateEnvironment(ctx context.Context, env *Environment) error
}

// AccountStore keeps accounts.
type AccountStore interface {
	// CreateAccount stores a new account and sets its ID and CreatedAt.
	CreateAccount(ctx context.Context, a *Account) error
	Account(ctx context.Context, id int64) (*Account, error)
	Accounts(ctx context.Context, f AccountFilter) ([]*Account, error)
}

// ClientStore keeps clients and their secrets.
type ClientStore interface {
	// CreateClient stores a new client with its secrets; ErrConflict if the
	// id is taken, ErrNotFound if its environment or account does not exist.
	CreateClient(ctx context.Context, c *Client) error
	Client(ctx context.Context, id string) (*Client, error)
	Clients(ctx context.Context, f ClientFilter) ([]*Client, error)
	// UpdateClient stores c's fields and replaces its secrets with
	// c.Secrets if c.Version is still the stored version, and increments
	// it; ErrConflict if the client changed since c was read.
	UpdateClient(ctx context.Context, c *Client) error
}

// SigningKeyStore keeps signing keys.
type SigningKeyStore interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// SigningKeys returns an environment's keys, oldest first.
	SigningKeys(ctx context.Context, env string) ([]*SigningKey, error)
	// UpdateSigningKeyState moves a key from state from to state to and sets
	// its RemoveAt; ErrConflict if the key is no longer in state from, so that
	// replicas rotating at once do not both succeed.
	UpdateSigningKeyState(ctx context.Context, env, id, from, to string, removeAt time.Time) error
}

// RevokedToken records that a token was revoked before it expired.
type RevokedToken struct {
	ID          string // the JWT "jti"
	Environment string
	ClientID    string
	ExpiresAt   time.Time
	RevokedAt   time.Time
}

// RevocationStore keeps revoked tokens until they expire.
type RevocationStore interface {
	// RevokeToken records t; revoking a token twice is not an error.
	RevokeToken(ctx context.Context, t *RevokedToken) error
	// RevokedTokens returns the revoked tokens that expire after now.
	RevokedTokens(ctx context.Context, now time.Time) ([]*RevokedToken, error)
	// DeleteExpiredRevocations removes records of tokens expired before now.
	DeleteExpiredRevocations(ctx context.Context, now time.Time) error
}

// UserStore keeps dashboard users.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	UserByEmail(ctx context.Context, email string) (*User, error)
}

// Change kinds recorded in the change feed.
const (
	ChangeEnvironment = "environment"
	ChangeClient      = "client"
	ChangeSigningKey  = "signing_key"
	ChangeRevocation  = "revocation"
)

// Change is an entry of the change feed: every mutation of an environment,
// client, signing key or revocation appends one in the same transaction, in
// commit order, so that every replica's in-memory caches can follow.
type Change struct {
	ID   int64
	Kind string
	Key  string // environment name, client id, "env/kid", or token id
	At   time.Time
}

// ChangeFeed reads the change feed.
type ChangeFeed interface {
	// Changes returns changes with an ID above afterID, oldest first, at most limit.
	Changes(ctx context.Context, afterID int64, limit int) ([]Change, error)
	// LatestChange returns the ID of the newest change, 0 if there is none.
	LatestChange(ctx context.Context) (int64, error)
	// DeleteChanges removes changes older than before.
	DeleteChanges(ctx context.Context, before time.Time) error
}

// Store is everything Gatehouse keeps. internal/sqlstore implements it on
// SQLite and PostgreSQL; internal/storetest checks any implementation.
type Store interface {
	EnvironmentStore
	AccountStore
	ClientStore
	SigningKeyStore
	SigningKeyRotationStore
	RevocationStore
	CredentialRevocationStore
	UserStore
	SessionStore
	SecondFactorStore
	SignInFailureStore
	ReusableTokenStore
	AssertionStore
	AuditStore
	UsageStore
	ChangeFeed
	// InTx runs fn with a Store whose every method runs in one transaction,
	// committed if fn returns nil and rolled back otherwise: a change and
	// its audit record are written together or not at all.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Ping reports whether the storage is reachable.
	Ping(ctx context.Context) error
	Close() error
}
