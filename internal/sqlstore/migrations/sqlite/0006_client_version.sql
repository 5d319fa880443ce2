-- A version per client, for compare-and-swap updates: every write of a
-- client increments it, and an update names the version it read, so that an
-- update racing a rotation or a revocation fails instead of undoing it. Keep
-- in step with ../postgres/0006_client_version.sql.
ALTER TABLE clients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
