-- Durable security decisions and storage health. Keep in step with
-- ../postgres/0012_bans.sql.

-- Bans of source addresses: the record every replica re-fills its fast copy
-- (Redis or memory) from, so that a ban survives a Redis restart and a
-- Redis outage. subject is an IPv4 address or an IPv6 /64 prefix.
CREATE TABLE bans (
    subject     TEXT NOT NULL PRIMARY KEY,
    reason      TEXT   NOT NULL,
    environment TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE INDEX bans_expires_at ON bans (expires_at);

-- One row rewritten by the storage write probe (readiness): a database that
-- can no longer write (disk full, read-only) is reported as not ready.
CREATE TABLE storage_probe (
    id INTEGER NOT NULL PRIMARY KEY,
    at BIGINT  NOT NULL
);
