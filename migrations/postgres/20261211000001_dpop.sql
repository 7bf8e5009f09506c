-- DPoP (RFC 9449), as in the SQLite migration of the same version: the thumbprint (`jkt`) of the key a token is bound to.
-- access_tokens: the key every use of the token must prove (`cnf.jkt`).
-- grants: a public client's refresh tokens are bound to the key of the proof that started the
--   grant (§5); a confidential client's grant stays unbound (NULL).
-- authorization_codes: the `dpop_jkt` of the authorization request (§10), which the code's
--   exchange must prove.
-- Proofs' `jti`s are remembered in client_assertions, under `dpop:` + the thumbprint.
ALTER TABLE access_tokens ADD COLUMN dpop_jkt TEXT;
ALTER TABLE grants ADD COLUMN dpop_jkt TEXT;
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
