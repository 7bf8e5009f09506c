-- Pushed authorization requests (RFC 9126): the parameters an app pushed, by the hash of the
-- request_uri handed back for them, until they are used once or expire (60 s). Pruned when
-- expired.
CREATE TABLE pushed_requests (
    uri_hash   BLOB PRIMARY KEY NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    params     TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX pushed_requests_expiry ON pushed_requests (expires_at);
