-- A tamper-evident audit: each event's hash covers the previous event's hash and its own
-- content (crates/store/src/audit.rs). The writer seals the events of a batch in the batch's
-- own transaction, so every committed event is sealed. Events written before this migration
-- are sealed by the first write after it. Pruning removes the oldest events in order and keeps
-- the last removed event's hash as the chain's anchor (settings.audit_anchor).
ALTER TABLE audit ADD COLUMN hash BLOB;
CREATE INDEX audit_unsealed ON audit (id) WHERE hash IS NULL;
