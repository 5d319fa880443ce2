-- Reusable tokens (SPEC §2.2): one per client, secret, scope and audience.
-- sealed is the token encrypted under a key derived from the client secret
-- it was issued to, so this table alone reveals no token.
CREATE TABLE reusable_tokens (
    client_id   TEXT COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    reuse_key   TEXT COLLATE "C" NOT NULL,
    environment TEXT COLLATE "C" NOT NULL,
    sealed      BYTEA  NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, reuse_key)
);

CREATE INDEX reusable_tokens_expires_at ON reusable_tokens (expires_at);
