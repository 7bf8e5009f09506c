-- Leases: which process does a job that one process at a time does (on PostgreSQL, sealing the
-- audit chain; see crates/store/src/leases.rs). The holder renews its lease before `until`
-- (Unix milliseconds); once it lapses another process takes it. SQLite's single writer seals
-- in its own batches, so nothing holds a lease there; the table is kept for the same schema.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until INTEGER NOT NULL
);
