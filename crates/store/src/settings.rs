//! `settings`: key/value facts about the data directory (mode, sandbox clock, hash key).

use crate::facts::{Key, Writes};
use crate::{Conn, Result};

pub const MODE: &str = "mode";
pub const CLOCK_OFFSET: &str = "clock_offset_seconds";
/// How many times the sandbox clock was moved or reset: the version of [`CLOCK_OFFSET`], so a
/// node never replaces a newer offset with an older one it read or wrote.
pub const CLOCK_VERSION: &str = "clock_version";
pub const HASH_KEY: &str = "hash_key";
/// The issuer URL `serve` last served as (the base of the profile's issuers).
pub const ISSUER: &str = "issuer";
/// The wire contract served: `default` or `banno` (`authdesk_core::site::Profile`).
pub const PROFILE: &str = "profile";
/// The algorithm access tokens are signed with (`authdesk_core::alg::Alg`).
pub const ACCESS_TOKEN_ALG: &str = "access_token_alg";
/// How the console serves this registry: https with the sandbox CA ("on"), the sandbox
/// consumer API ("on"). `authdesk serve` takes its own flags instead.
pub const SERVE_TLS: &str = "serve_tls";
pub const SERVE_SANDBOX_API: &str = "serve_sandbox_api";
/// The embedded server requires pushed authorization requests of every app ("on"/"off").
pub const SERVE_REQUIRE_PAR: &str = "serve_require_par";
/// The embedded server asks DPoP proofs for nonces ("on"/"off").
pub const SERVE_DPOP_NONCE: &str = "serve_dpop_nonce";
/// Bumped by every change to `clients`, so a running server knows its cached apps are stale.
pub const REGISTRY_VERSION: &str = "registry_version";
/// Minutes a console may stay idle before its operator must sign in again.
pub const CONSOLE_IDLE_LOCK: &str = "console_idle_lock_minutes";

pub async fn get(conn: &mut Conn, key: &str) -> Result<Option<String>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT value FROM settings WHERE key = ?",
        |db, sql| sqlx::query_scalar(sql)
            .bind(key)
            .fetch_optional(&mut *db)
            .await
    )?)
}

const SET: &str = "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

pub async fn set(conn: &mut Conn, key: &str, value: &str) -> Result<()> {
    crate::on!(&mut *conn, SET, |db, sql| sqlx::query(sql)
        .bind(key)
        .bind(value)
        .execute(&mut *db)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

const BUMP: &str = "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(settings.value AS INTEGER) + 1";

/// [`bump`], as a write of a decision (one row, inserted or changed): once per unit, however
/// many of its writes ask (a row changes at most once in a unit).
pub fn bump_into(w: &mut Writes, key: &str) {
    let key_of = Key::Setting(key.to_string());
    if w.changed().contains(&key_of) {
        return;
    }
    w.changes(key_of).statement(BUMP).bind(key.to_string());
}

/// [`set`], as a write of a decision (one row, inserted or changed).
pub fn set_into(w: &mut Writes, key: &str, value: &str) {
    w.changes(Key::Setting(key.to_string()))
        .statement(SET)
        .bind(key.to_string())
        .bind(value.to_string());
}

/// Adds one to a counter setting (creating it at 1).
pub async fn bump(conn: &mut Conn, key: &str) -> Result<()> {
    crate::on!(&mut *conn, BUMP, |db, sql| sqlx::query(sql)
        .bind(key)
        .execute(&mut *db)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
