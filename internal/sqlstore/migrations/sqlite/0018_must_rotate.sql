-- A client imported from another server without a usable credential (its
-- secret was not exported) is created in the must-rotate state: it exists,
-- keeps its id, account, scopes and keys, but no secret or API key of it
-- is accepted until the secret is rotated or renewed, which clears the
-- flag. Keep in step with ../postgres/0018_must_rotate.sql.
ALTER TABLE clients ADD COLUMN must_rotate INTEGER NOT NULL DEFAULT 0;
