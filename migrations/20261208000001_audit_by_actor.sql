-- The audit by actor: an actor's part is resolved to the actors it names by a loose scan of this
-- index (one probe per distinct actor), and each actor's events page newest first on it (the
-- rowid completes it in SQLite).
CREATE INDEX audit_actor ON audit (actor);
