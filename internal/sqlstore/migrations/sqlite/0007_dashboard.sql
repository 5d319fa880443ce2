-- Dashboard sign-in: sessions, TOTP second factors with recovery codes, and
-- counters of failed sign-ins. Keep in step with ../postgres/0007_dashboard.sql.

-- A session is found by the SHA-256 of its token (hex); the token itself
-- lives only in the browser's cookie. Deleting a user ends its sessions.
CREATE TABLE dashboard_sessions (
    id                    TEXT    PRIMARY KEY,
    user_id               INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at            INTEGER NOT NULL,
    last_seen_at          INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    second_factor_pending INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX dashboard_sessions_user_id ON dashboard_sessions (user_id);
CREATE INDEX dashboard_sessions_expires_at ON dashboard_sessions (expires_at);

-- A user's TOTP secret (RFC 6238), sealed under the master key. It counts
-- once confirmed; last_step is the last time step a code was accepted for,
-- so that each code signs in once.
CREATE TABLE user_second_factors (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    totp_secret BLOB    NOT NULL,
    confirmed   INTEGER NOT NULL DEFAULT 0,
    last_step   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
) STRICT;

-- Single-use recovery codes, as SHA-256 hashes (hex).
CREATE TABLE user_recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

-- Failed sign-ins per subject ("email:…", "ip:…") in a fixed window that
-- starts with the first failure after the previous window ended.
CREATE TABLE sign_in_failures (
    subject      TEXT    PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL
) STRICT;
