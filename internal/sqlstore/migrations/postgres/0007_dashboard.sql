-- Dashboard sign-in: sessions, TOTP second factors with recovery codes, and
-- counters of failed sign-ins. Keep in step with ../sqlite/0007_dashboard.sql.

-- A session is found by the SHA-256 of its token (hex); the token itself
-- lives only in the browser's cookie. Deleting a user ends its sessions.
CREATE TABLE dashboard_sessions (
    id                    TEXT    PRIMARY KEY,
    user_id               BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at            BIGINT  NOT NULL,
    last_seen_at          BIGINT  NOT NULL,
    expires_at            BIGINT  NOT NULL,
    second_factor_pending BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX dashboard_sessions_user_id ON dashboard_sessions (user_id);
CREATE INDEX dashboard_sessions_expires_at ON dashboard_sessions (expires_at);

-- A user's TOTP secret (RFC 6238), sealed under the master key. It counts
-- once confirmed; last_step is the last time step a code was accepted for,
-- so that each code signs in once.
CREATE TABLE user_second_factors (
    user_id     BIGINT  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    totp_secret BYTEA   NOT NULL,
    confirmed   BOOLEAN NOT NULL DEFAULT FALSE,
    last_step   BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL
);

-- Single-use recovery codes, as SHA-256 hashes (hex).
CREATE TABLE user_recovery_codes (
    user_id   BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- Failed sign-ins per subject ("email:…", "ip:…") in a fixed window that
-- starts with the first failure after the previous window ended.
CREATE TABLE sign_in_failures (
    subject      TEXT    PRIMARY KEY,
    window_start BIGINT  NOT NULL,
    count        BIGINT  NOT NULL
);
