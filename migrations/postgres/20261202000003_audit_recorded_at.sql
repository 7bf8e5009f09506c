-- When an event was written by the wall clock (see the SQLite migration of the same version).
ALTER TABLE audit ADD COLUMN recorded_at BIGINT;
CREATE INDEX audit_target ON audit (target);
