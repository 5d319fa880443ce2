-- Credential lifecycle (issue 3): reveal and revocation of secrets.

-- allow_reveal: secrets created while it is on are also kept encrypted
-- (sealed) so that they can be shown again after re-authentication.
ALTER TABLE environments ADD COLUMN allow_reveal INTEGER NOT NULL DEFAULT 0;

-- sealed: the secret encrypted with AES-256-GCM under the master key (which
-- is never in the database); NULL when the secret cannot be revealed.
ALTER TABLE client_secrets ADD COLUMN sealed BLOB;

-- Revoked clients and secrets. Every token issued to a revoked client or
-- with a revoked secret is inactive; a record is kept until every such
-- token has expired (expires_at), which is what a revocation feed publishes.
CREATE TABLE revoked_credentials (
    kind        TEXT    NOT NULL CHECK (kind IN ('client', 'secret')),
    id          TEXT    NOT NULL,
    environment TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    revoked_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT;

CREATE INDEX revoked_credentials_expires_at ON revoked_credentials (expires_at);
