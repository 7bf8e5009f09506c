-- The audit's hash chain gets its own order (`chain_seq`), assigned when events are sealed,
-- instead of following the ids. With one SQLite writer the two orders are the same; with
-- several PostgreSQL writers ids are handed out when rows are inserted, not when they commit,
-- so the chain follows the order of sealing (under a lock held until commit). Events sealed
-- before this migration keep their place: chain_seq = id.
ALTER TABLE audit ADD COLUMN chain_seq INTEGER;
UPDATE audit SET chain_seq = id WHERE hash IS NOT NULL;
CREATE UNIQUE INDEX audit_chain ON audit (chain_seq) WHERE chain_seq IS NOT NULL;
