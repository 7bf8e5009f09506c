-- Storage stays flat: a prune pass deletes, a few hundred rows at a time, what can no longer
-- matter (see crates/store/src/prune.rs). Each kind of row it looks for is found by an index,
-- so a pass over a million stored tokens reads only what it deletes.

-- Access tokens from client credentials belong to no grant and go once expired; the others go
-- with their grant. (The old all-rows expiry index served nothing else.) A grant's tokens are
-- found by grant: client-credentials tokens need no entry in that index.
DROP INDEX access_tokens_expiry;
CREATE INDEX access_tokens_unbound_expiry ON access_tokens (expires_at) WHERE grant_id IS NULL;
DROP INDEX access_tokens_grant;
CREATE INDEX access_tokens_grant ON access_tokens (grant_id) WHERE grant_id IS NOT NULL;

-- A grant ends when it is revoked, when its chain reaches its one-year end, or (without a
-- chain) when its access token expires.
CREATE INDEX grants_revoked ON grants (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX grants_chain_end ON grants (chain_ends_at) WHERE chain_ends_at IS NOT NULL;
CREATE INDEX grants_unchained ON grants (created_at) WHERE chain_ends_at IS NULL;

-- Deleting a grant deletes its tokens (ON DELETE CASCADE) and clears codes that point to it
-- (SET NULL); the database checks both through these indexes instead of scanning the tables.
CREATE INDEX refresh_tokens_parent ON refresh_tokens (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX authorization_codes_grant ON authorization_codes (grant_id) WHERE grant_id IS NOT NULL;

CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
CREATE INDEX interactions_expiry ON interactions (expires_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX client_assertions_expiry ON client_assertions (expires_at);
