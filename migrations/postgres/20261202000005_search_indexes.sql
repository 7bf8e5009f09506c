-- The console's search (see the SQLite migration of the same version). The expressions are the
-- ones the store's queries become in PostgreSQL's dialect (crates/store/src/dialect.rs). A
-- prefix is a range of these indexes in code-point order: create the database with the "C" (or
-- "C.UTF-8") collation, as docs/scale.md says.
CREATE INDEX users_username_lower ON users (lower(username));
CREATE INDEX users_email_lower ON users (lower((claims::jsonb ->> 'email')));
CREATE INDEX users_name_lower ON users (lower((claims::jsonb ->> 'name')));
