//! `settings`: key/value facts about the data directory (mode, sandbox clock, hash key).

use crate::{Conn, Result};

pub const MODE: &str = "mode";
pub const CLOCK_OFFSET: &str = "clock_offset_seconds";
pub const HASH_KEY: &str = "hash_key";
/// Bumped by every change to `clients`, so a running server knows its cached apps are stale.
pub const REGISTRY_VERSION: &str = "registry_version";

pub async fn get(conn: &mut Conn, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn set(conn: &mut Conn, key: &str, value: &str) -> Result<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets `key` only if it has no value yet; returns the value that is stored afterwards.
pub async fn init(conn: &mut Conn, key: &str, value: &str) -> Result<String> {
    sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    Ok(get(conn, key).await?.unwrap_or_default())
}

/// Adds one to a counter setting (creating it at 1).
pub async fn bump(conn: &mut Conn, key: &str) -> Result<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
