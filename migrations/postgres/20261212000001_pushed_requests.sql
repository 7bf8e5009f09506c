-- Pushed authorization requests (RFC 9126), as in the SQLite migration of the same version.
CREATE TABLE pushed_requests (
    uri_hash   BYTEA PRIMARY KEY NOT NULL,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    params     TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    seq        BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX pushed_requests_expiry ON pushed_requests (expires_at);
