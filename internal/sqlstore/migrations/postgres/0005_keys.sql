-- Client keys and signing-key rotation (issue 3). Keep in step with
-- ../sqlite/0005_keys.sql.

-- The public keys a client signs private_key_jwt assertions with (RFC 7523):
-- a JWK Set (JSON) or a PEM "PUBLIC KEY" block, at most one of the two; NULL
-- when the client authenticates with secrets only.
ALTER TABLE clients ADD COLUMN jwks TEXT;
ALTER TABLE clients ADD COLUMN public_key_pem TEXT;

-- Assertions already used, so that each jti authenticates once (RFC 7523
-- §3 item 7). A row is written per private_key_jwt request (never for a
-- secret) and kept until the assertion expires; the primary key makes two
-- replicas receiving the same assertion agree on which one used it.
CREATE TABLE used_assertions (
    client_id  TEXT COLLATE "C" NOT NULL,
    jti        TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);

CREATE INDEX used_assertions_expires_at ON used_assertions (expires_at);

-- At most one key per environment waits to become active: two replicas
-- starting a rotation at once insert one next key, the other gets a conflict.
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (environment) WHERE state = 'next';
