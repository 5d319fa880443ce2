-- Protection of the token endpoint (issue 5): per-environment rate limits,
-- the audit log and per-client usage counters. Keep in step with
-- ../postgres/0003_protection.sql.

-- Token requests admitted per minute (sustained) and in a burst, per client
-- and per source IP. 0 per minute switches that limit off. The defaults
-- match gatehouse.DefaultRateLimits.
ALTER TABLE environments ADD COLUMN rate_client_per_minute INTEGER NOT NULL DEFAULT 60;
ALTER TABLE environments ADD COLUMN rate_client_burst      INTEGER NOT NULL DEFAULT 100;
ALTER TABLE environments ADD COLUMN rate_ip_per_minute     INTEGER NOT NULL DEFAULT 600;
ALTER TABLE environments ADD COLUMN rate_ip_burst          INTEGER NOT NULL DEFAULT 200;

-- Append-only: rows are inserted, and deleted only by age (retention).
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    source_ip   TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    object      TEXT    NOT NULL DEFAULT '',
    environment TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor, id);
CREATE INDEX audit_events_object ON audit_events (object, id);
CREATE INDEX audit_events_action ON audit_events (action, id);

-- Successful token requests per client, added to in batches.
CREATE TABLE client_usage (
    client_id    TEXT    NOT NULL PRIMARY KEY,
    environment  TEXT    NOT NULL,
    token_count  INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) STRICT;
