-- Secrets imported from another server keep that server's hash (bcrypt,
-- PBKDF2, salted SHA-2) in imported_hash until their first successful use
-- re-hashes them; hash is then all zeroes and unused.
ALTER TABLE client_secrets ADD COLUMN imported_hash TEXT;
