-- Answers of admin API POSTs sent with an Idempotency-Key, kept 24 hours so
-- that a retried request is answered again instead of done twice. Keep in
-- step with ../postgres/0017_idempotency_keys.sql.
--
-- status is 0 while the request runs; it is set together with location and
-- body (sealed under the master key: it may hold a client secret) in one
-- statement, so a key is never answered without its body.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB  NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    location     TEXT    NOT NULL DEFAULT '',
    body         BLOB,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
