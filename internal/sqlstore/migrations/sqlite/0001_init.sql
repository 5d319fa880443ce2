-- Gatehouse schema, SQLite dialect. Keep in step with ../postgres/0001_init.sql.
-- Times are INTEGER unix microseconds (UTC), durations INTEGER seconds,
-- booleans INTEGER 0/1, lists JSON arrays in TEXT.

CREATE TABLE environments (
    name                   TEXT    NOT NULL PRIMARY KEY,
    signing_algorithm      TEXT    NOT NULL,
    token_format           TEXT    NOT NULL,
    token_lifetime_seconds INTEGER NOT NULL,
    token_reuse            INTEGER NOT NULL,
    default_audience       TEXT    NOT NULL DEFAULT '',
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) STRICT;

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE clients (
    id                     TEXT    NOT NULL PRIMARY KEY,
    environment            TEXT    NOT NULL REFERENCES environments (name),
    account_id             INTEGER NOT NULL REFERENCES accounts (id),
    name                   TEXT    NOT NULL,
    scopes                 TEXT    NOT NULL DEFAULT '[]',
    audiences              TEXT    NOT NULL DEFAULT '[]',
    allowed_cidrs          TEXT    NOT NULL DEFAULT '[]',
    -- token overrides: NULL keeps the environment's setting
    token_format           TEXT,
    token_lifetime_seconds INTEGER,
    token_reuse            INTEGER,
    default_audience       TEXT,
    status                 TEXT    NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) STRICT;

CREATE INDEX clients_environment_id ON clients (environment, id);
CREATE INDEX clients_account_id_id ON clients (account_id, id);

CREATE TABLE client_secrets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id  TEXT    NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    hash       BLOB    NOT NULL CHECK (length(hash) = 32),
    created_at INTEGER NOT NULL,
    expires_at INTEGER
) STRICT;

CREATE INDEX client_secrets_client_id ON client_secrets (client_id, id);

CREATE TABLE signing_keys (
    environment TEXT    NOT NULL REFERENCES environments (name),
    id          TEXT    NOT NULL,
    algorithm   TEXT    NOT NULL,
    private_key BLOB    NOT NULL,
    state       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    remove_at   INTEGER,
    PRIMARY KEY (environment, id)
) STRICT;

CREATE TABLE revoked_tokens (
    id          TEXT    NOT NULL PRIMARY KEY,
    environment TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- email_lower makes addresses unique regardless of case and is what
-- UserByEmail looks up; email keeps the address as it was entered.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL,
    email_lower   TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    account_id    INTEGER REFERENCES accounts (id),
    role          TEXT    NOT NULL DEFAULT '',
    operator      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX users_account_id ON users (account_id);

-- AUTOINCREMENT: ids are never reused, even after DeleteChanges empties the
-- table, so a poller's "after id N" never skips a new change.
CREATE TABLE changes (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT    NOT NULL,
    key  TEXT    NOT NULL,
    at   INTEGER NOT NULL
) STRICT;

CREATE INDEX changes_at ON changes (at);
