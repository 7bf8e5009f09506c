-- Wrong passwords (see the SQLite migration of the same version).
ALTER TABLE interactions ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;

CREATE TABLE login_failures (
    username       TEXT PRIMARY KEY NOT NULL,
    failures       BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL,
    locked_until   BIGINT,
    seq            BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX login_failures_last ON login_failures (last_failed_at);
