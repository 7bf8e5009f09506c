-- Grants are listed newest first (created_at DESC, id DESC), a page at a time, for one app,
-- one user, or all. These indexes cover the filter and the whole sort order, so a page of
-- 100,000 grants or more is read off an index instead of sorted in memory.
DROP INDEX grants_client;
DROP INDEX grants_sub;
CREATE INDEX grants_client ON grants (client_id, created_at, id);
CREATE INDEX grants_sub ON grants (sub, created_at, id);
CREATE INDEX grants_created ON grants (created_at, id);
