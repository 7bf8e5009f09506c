-- The audit's hash chain gets its own order (see the SQLite migration of the same version).
ALTER TABLE audit ADD COLUMN chain_seq BIGINT;
UPDATE audit SET chain_seq = id WHERE hash IS NOT NULL;
CREATE UNIQUE INDEX audit_chain ON audit (chain_seq) WHERE chain_seq IS NOT NULL;
