-- The console at a bank's size (see the SQLite migration of the same name): the audit by
-- action and by target newest first, live refresh tokens by grant.
CREATE INDEX audit_action ON audit (action, id);
DROP INDEX audit_target;
CREATE INDEX audit_target ON audit (target, id);
CREATE INDEX refresh_tokens_live ON refresh_tokens (grant_id, expires_at) WHERE consumed_at IS NULL;
