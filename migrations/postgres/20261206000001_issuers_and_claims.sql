-- A code's and a grant's issuer and `claims` request (see the SQLite migration of the same
-- version). The claims request is only read back whole, never queried: TEXT, as in SQLite.
ALTER TABLE authorization_codes ADD COLUMN issuer TEXT;
ALTER TABLE authorization_codes ADD COLUMN claims TEXT;
ALTER TABLE grants ADD COLUMN issuer TEXT;
ALTER TABLE grants ADD COLUMN claims TEXT;
-- A user's login sessions end when their grants are revoked or they are disabled: found by user.
CREATE INDEX sessions_sub ON sessions (sub);
-- A login page stores nothing: its request travels sealed in the form. A row remembers a form
-- once used: its wrong passwords (failed_logins) and when it was completed (spent_at).
ALTER TABLE interactions ADD COLUMN spent_at BIGINT;
-- Revoking all of an app's grants forgets every user's approval of it: found by app.
CREATE INDEX consents_client ON consents (client_id);
-- Names that read the same are one name (authdesk_core::names): a user name's and an app name's
-- key is unique. Rows stored before get theirs when the registry is next opened.
ALTER TABLE users ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX users_by_name_key ON users (username_key);
ALTER TABLE clients ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX clients_by_name_key ON clients (name_key);
