-- The Banno profile serves two issuers on one listener: a code and a grant remember the
-- issuer they came from (authdesk_core::site::IssuerKind; NULL is the default profile's one),
-- so they are redeemed there only. And the `claims` request parameter (OIDC Core §5.5) the
-- authorization asked with, as JSON, so ID tokens from refreshes and userinfo answer it too.
ALTER TABLE authorization_codes ADD COLUMN issuer TEXT;
ALTER TABLE authorization_codes ADD COLUMN claims TEXT;
ALTER TABLE grants ADD COLUMN issuer TEXT;
ALTER TABLE grants ADD COLUMN claims TEXT;
-- A user's login sessions end when their grants are revoked or they are disabled: found by user.
CREATE INDEX sessions_sub ON sessions (sub);
-- A login page stores nothing: its request travels sealed in the form. A row remembers a form
-- once used: its wrong passwords (failed_logins) and when it was completed (spent_at).
ALTER TABLE interactions ADD COLUMN spent_at INTEGER;
-- Revoking all of an app's grants forgets every user's approval of it: found by app.
CREATE INDEX consents_client ON consents (client_id);
-- Names that read the same are one name (authdesk_core::names): a user name's and an app name's
-- key is unique. Rows stored before get theirs when the registry is next opened.
ALTER TABLE users ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX users_by_name_key ON users (username_key);
ALTER TABLE clients ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX clients_by_name_key ON clients (name_key);
