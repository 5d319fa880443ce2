-- Emergency signing-key operations and production environments. Keep in
-- step with ../sqlite/0013_emergency_keys.sql.

-- A revoked signing key has left the JWKS and every token it signed is
-- inactive; the row (state 'revoked', revoked_at set) is kept until
-- remove_at, when every such token has expired, so that a revocation feed
-- can publish it.
ALTER TABLE signing_keys ADD COLUMN revoked_at BIGINT;

-- Replicas starting at once on a fresh database could each create an
-- active key for the same environment. Keep the newest active key of each
-- environment (the one that signs) and retire the others for 90 days (the
-- longest token lifetime) plus an hour, then allow one active key only.
UPDATE signing_keys SET state = 'retired',
    remove_at = (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT + (90 * 24 + 1) * 3600 * 1000000::BIGINT
WHERE state = 'active' AND EXISTS (
    SELECT 1 FROM signing_keys newer
    WHERE newer.environment = signing_keys.environment AND newer.state = 'active'
      AND (newer.created_at > signing_keys.created_at
           OR (newer.created_at = signing_keys.created_at AND newer.id > signing_keys.id)));

CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (environment) WHERE state = 'active';

-- A production environment's API keys get the production prefix whatever
-- the environment is called.
ALTER TABLE environments ADD COLUMN production BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE environments SET production = TRUE WHERE name = 'production';
