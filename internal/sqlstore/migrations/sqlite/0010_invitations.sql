-- Invitations to join an account (the User API). Keep in step with
-- ../postgres/0010_invitations.sql.

-- Only the SHA-256 of an invitation's single-use token is kept; the token
-- is in the link the inviter passes on. accepted_at is NULL while the
-- invitation is pending.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    email       TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    token_hash  BLOB    NOT NULL UNIQUE,
    invited_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER
) STRICT;

CREATE INDEX invitations_account_id ON invitations (account_id);
