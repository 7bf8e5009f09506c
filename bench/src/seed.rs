//! Stored tokens before a run: chains as a year of real use leaves them (grants with five
//! refresh tokens each and an expired access token per refresh), written straight into the
//! data directory's database while the server is stopped.

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::Path;

/// Adds about `tokens` token rows (half refresh tokens, half access tokens).
pub async fn seed(dir: &Path, tokens: u64, client_id: &str, sub: &str) -> anyhow::Result<()> {
    if tokens == 0 {
        return Ok(());
    }
    let grants = (tokens / 10).max(1) as i64;
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join("authdesk.db"))
        .connect()
        .await?;
    sqlx::query("PRAGMA cache_size = -262144")
        .execute(&mut conn)
        .await?;
    let mut tx = conn.begin().await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
         INSERT INTO grants (id, client_id, sub, scope, auth_time, created_at, chain_started_at, chain_ends_at)
         SELECT 'seed-' || i, ?2, ?3, 'offline_access accounts', t, t, t, t + 31536000
         FROM (SELECT i, unixepoch() - 3600 * 24 * 80 + (i % 6912000) AS t FROM n)",
    )
    .bind(grants)
    .bind(client_id)
    .bind(sub)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 4)
         INSERT INTO refresh_tokens (id, grant_id, parent_id, token_hash, issued_at, expires_at, consumed_at, last_used_at, use_count)
         SELECT g.id || '-rt' || j, g.id, CASE WHEN j = 0 THEN NULL ELSE g.id || '-rt' || (j - 1) END,
                randomblob(32), g.created_at + j * 3600, g.created_at + j * 3600 + 7776000,
                NULL, CASE WHEN j < 4 THEN g.created_at + (j + 1) * 3600 END, CASE WHEN j < 4 THEN 1 ELSE 0 END
         FROM grants g, k WHERE g.id LIKE 'seed-%'",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 4)
         INSERT INTO access_tokens (jti, client_id, sub, grant_id, refresh_token_id, scope, issued_at, expires_at)
         SELECT lower(hex(randomblob(16))), g.client_id, g.sub, g.id, g.id || '-rt' || j, g.scope,
                g.created_at + j * 3600, g.created_at + j * 3600 + 600
         FROM grants g, k WHERE g.id LIKE 'seed-%'",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// A fresh, empty database in the PostgreSQL cluster `cluster` names; its URL.
pub async fn fresh_postgres(cluster: &str) -> anyhow::Result<String> {
    let mut admin = sqlx::PgConnection::connect(cluster).await?;
    static POINTS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "bench_{}_{}",
        std::process::id(),
        POINTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    let _ = admin.close().await;
    let (base, query) = cluster.split_once('?').unwrap_or((cluster, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    Ok(if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    })
}
