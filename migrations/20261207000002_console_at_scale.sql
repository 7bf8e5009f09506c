-- The console at a bank's size (100,000 people, a million tokens and audit events): the audit
-- filtered by action pages newest first on an index (the rowid completes it in SQLite), and the
-- expiry histogram reads each live grant's live refresh tokens from one index.
CREATE INDEX audit_action ON audit (action);
CREATE INDEX refresh_tokens_live ON refresh_tokens (grant_id, expires_at) WHERE consumed_at IS NULL;
