-- The console's search (Ctrl+K) finds people by the start of their user name, e-mail or name
-- and apps by name: case-insensitive prefix ranges over these expression indexes stay fast
-- with 100,000 users (crates/store/src/search.rs; the scale test checks the plan).
CREATE INDEX users_username_lower ON users (lower(username));
CREATE INDEX users_email_lower ON users (lower(json_extract(claims, '$.email')));
CREATE INDEX users_name_lower ON users (lower(json_extract(claims, '$.name')));
