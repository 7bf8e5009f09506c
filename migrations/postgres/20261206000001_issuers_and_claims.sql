-- A code's and a grant's issuer and `claims` request (see the SQLite migration of the same
-- version). The claims request is only read back whole, never queried: TEXT, as in SQLite.
ALTER TABLE authorization_codes ADD COLUMN issuer TEXT;
ALTER TABLE authorization_codes ADD COLUMN claims TEXT;
ALTER TABLE grants ADD COLUMN issuer TEXT;
ALTER TABLE grants ADD COLUMN claims TEXT;
-- A user's login sessions end when their grants are revoked or they are disabled: found by user.
CREATE INDEX sessions_sub ON sessions (sub);
