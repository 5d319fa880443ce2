-- What the dashboard reads: tokens issued per client per UTC day, and the
-- account an audit event concerns. Keep in step with
-- ../sqlite/0011_dashboard_usage.sql.

-- Successful token requests per client and UTC day (days since 1970-01-01),
-- added to in batches. Read by account and environment over a range of days.
CREATE TABLE client_usage_daily (
    account_id  BIGINT NOT NULL,
    environment TEXT COLLATE "C" NOT NULL,
    client_id   TEXT COLLATE "C" NOT NULL,
    day         BIGINT NOT NULL,
    token_count BIGINT NOT NULL,
    PRIMARY KEY (account_id, environment, client_id, day)
);

CREATE INDEX client_usage_daily_day ON client_usage_daily (day);

-- 0 when the event concerns no account.
ALTER TABLE audit_events ADD COLUMN account_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX audit_events_account ON audit_events (account_id, id);
