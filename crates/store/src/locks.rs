//! `locks`: the facts a read-modify-write unit of work decides on, held until it commits.
//!
//! A unit that reads a row, decides and writes it back must not interleave with another unit
//! doing the same to the same fact, or one of the two updates is lost. SQLite's writer runs one
//! unit at a time, so nothing needs taking there. PostgreSQL runs units side by side (on one
//! node or several) under READ COMMITTED: a unit names what it decides on with [`lock`] before
//! reading it, and a second unit naming the same fact waits for the first to commit, then reads
//! what it wrote. Facts are always taken before the audit chain's lock (taken at the commit), so
//! the order of locks is the same in every unit and they cannot deadlock on it.

use crate::{Conn, Result};

/// What a unit of work decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact<'a> {
    /// An app's row (its settings, secrets, enabled flag), by client id.
    App(&'a str),
    /// The set of signing keys of one algorithm (which one is active): a set that a unit
    /// changes by inserting a row another unit's `UPDATE` could not see, so it is taken as an
    /// advisory lock rather than by rows.
    SigningKeys(&'a str),
    /// One setting, by name (the sandbox clock's offset, retention periods …), present yet or
    /// not: an advisory lock too.
    Setting(&'a str),
    /// The set of operators (who is an admin): a unit that checks an admin remains decides on
    /// all of them, not only the one it changes.
    Operators,
    /// A registry's first-time setup (mode, hash key, first signing key): nodes starting
    /// together would otherwise each see an empty database and each make a signing key.
    Setup,
}

/// Holds `fact` until the unit of work's transaction ends (PostgreSQL; nothing on SQLite).
/// An app that does not exist is no row to lock: the unit then finds nothing and says so.
pub async fn lock(conn: &mut Conn, fact: Fact<'_>) -> Result<()> {
    let Conn::Postgres(db) = conn else {
        return Ok(());
    };
    match fact {
        Fact::App(id) => {
            sqlx::query("SELECT 1 FROM clients WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *db)
                .await?;
        }
        Fact::SigningKeys(alg) => advisory(db, "signing_keys", alg).await?,
        Fact::Setting(name) => advisory(db, "setting", name).await?,
        Fact::Operators => advisory(db, "operators", "").await?,
        Fact::Setup => {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SETUP_LOCK)
                .execute(&mut *db)
                .await?;
        }
    }
    Ok(())
}

/// The setup's advisory key (the value releases before this module used, so nodes of either
/// version starting together still take one lock).
const SETUP_LOCK: i64 = 7308324466430459236;

/// A transaction-scoped advisory lock on a name in one of Authdesk's namespaces (hashed to the
/// 64-bit key PostgreSQL takes; the audit chain's lock is a fixed key of its own).
async fn advisory(db: &mut sqlx::PgConnection, namespace: &str, name: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("authdesk.{namespace}.{name}"))
        .execute(db)
        .await?;
    Ok(())
}
