-- A rotated client secret's overlap window (see the SQLite migration of the same version).
ALTER TABLE clients ADD COLUMN previous_secret_hash BYTEA;
ALTER TABLE clients ADD COLUMN previous_secret_until BIGINT;
