-- When an event was written by the wall clock, beside `at` (the sandbox clock, which an
-- operator may have moved). NULL for events written before this column existed; the hash
-- chain covers it when present (crates/store/src/audit.rs).
ALTER TABLE audit ADD COLUMN recorded_at INTEGER;
CREATE INDEX audit_target ON audit (target);
