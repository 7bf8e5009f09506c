-- Wrong passwords (crates/core/src/login.rs): each login form counts its own, and each user
-- name (whether or not such a user exists, so the table tells nothing about who does) counts
-- failures in a row and the lock they earned. Rows go once the lock ended and the failures are
-- older than the window (prune.rs).
ALTER TABLE interactions ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;

CREATE TABLE login_failures (
    username       TEXT PRIMARY KEY NOT NULL,
    failures       INTEGER NOT NULL,
    last_failed_at INTEGER NOT NULL,
    locked_until   INTEGER
);
CREATE INDEX login_failures_last ON login_failures (last_failed_at);
