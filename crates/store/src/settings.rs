//! `settings`: key/value facts about the data directory (mode, sandbox clock, hash key).

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

pub async fn set(conn: &mut Conn, key: &str, value: &str) -> Result<()> {
    crate::on!(
        &mut *conn,
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        |db, sql| sqlx::query(sql)
            .bind(key)
            .bind(value)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// Sets `key` only if it has no value yet; returns the value that is stored afterwards.
pub async fn init(conn: &mut Conn, key: &str, value: &str) -> Result<String> {
    crate::on!(
        &mut *conn,
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
        |db, sql| sqlx::query(sql)
            .bind(key)
            .bind(value)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(get(conn, key).await?.unwrap_or_default())
}

/// [`bump`], and the counter's new value.
pub async fn bump_and_get(conn: &mut Conn, key: &str) -> Result<i64> {
    bump(conn, key).await?;
    Ok(get(conn, key)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or_default())
}

/// Adds one to a counter setting (creating it at 1).
pub async fn bump(conn: &mut Conn, key: &str) -> Result<()> {
    crate::on!(
        &mut *conn,
        "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(settings.value AS INTEGER) + 1",
        |db, sql| sqlx::query(sql)
            .bind(key)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}
