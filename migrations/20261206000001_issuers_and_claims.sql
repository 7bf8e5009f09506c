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
