-- The longest token lifetime clients of an environment set for themselves
-- decides how long a retired signing key stays published; a rotation reads
-- it (MAX over this index) instead of every client. Only clients that set a
-- lifetime are in the index, so it costs nothing for the others. Keep in
-- step with ../postgres/0019_client_token_lifetime_index.sql.
CREATE INDEX clients_token_lifetime ON clients (environment, token_lifetime_seconds)
    WHERE token_lifetime_seconds IS NOT NULL;
