-- The audit by actor (see the SQLite migration of the same version).
CREATE INDEX audit_actor ON audit (actor, id);
