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
	// CreateAccount stores a new account and sets its ID and CreatedAt. An
	// account given an ID keeps it (ErrConflict if taken) and later accounts
	// get larger ids.
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
	// ClientIDs calls fn with the id of every stored client, in no
	// particular order, reading nothing else, and stops at fn's first error.
	// It lets a cache learn which ids exist without loading every client.
	ClientIDs(ctx context.Context, fn func(id string) error) error
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
	// User returns the user with id; ErrNotFound if there is none.
	User(ctx context.Context, id int64) (*User, error)
	// Users returns a page of users matching f, ordered by id.
	Users(ctx context.Context, f UserFilter) ([]*User, error)
	// UpdateUser stores u's role, disabled flag and password hash (the
	// email and account never change); ErrNotFound if there is no such user.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes a user with its sessions and second factor;
	// ErrNotFound if there is no such user.
	DeleteUser(ctx context.Context, id int64) error
	// CountActiveOwners counts the account's owners who are not disabled.
	CountActiveOwners(ctx context.Context, accountID int64) (int, error)
	// LockAccount holds a lock on the account until the transaction it runs
	// in (Store.InTx) ends, so that concurrent changes of the account's
	// users run one after the other; ErrNotFound if there is no such
	// account.
	LockAccount(ctx context.Context, accountID int64) error
}

// InvitationStore keeps invitations to join an account.
type InvitationStore interface {
	// CreateInvitation stores inv and sets its ID; ErrNotFound if its
	// account does not exist, ErrConflict if its token hash is taken.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// Invitation returns the invitation with id; ErrNotFound if none.
	Invitation(ctx context.Context, id int64) (*Invitation, error)
	// InvitationByToken returns the invitation whose token hashes to
	// tokenHash; ErrNotFound if none.
	InvitationByToken(ctx context.Context, tokenHash [32]byte) (*Invitation, error)
	// Invitations returns the account's invitations not yet accepted
	// (expired ones included), oldest first.
	Invitations(ctx context.Context, accountID int64) ([]*Invitation, error)
	// MarkInvitationAccepted records that the invitation was accepted at
	// at; ErrConflict if it was accepted before (a token works once),
	// ErrNotFound if there is no such invitation.
	MarkInvitationAccepted(ctx context.Context, id int64, at time.Time) error
	// DeleteInvitation removes an invitation; ErrNotFound if none.
	DeleteInvitation(ctx context.Context, id int64) error
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
	InvitationStore
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
