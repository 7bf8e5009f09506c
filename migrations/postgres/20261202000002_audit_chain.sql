-- A tamper-evident audit (see the SQLite migration of the same version).
ALTER TABLE audit ADD COLUMN hash BYTEA;
CREATE INDEX audit_unsealed ON audit (id) WHERE hash IS NULL;
