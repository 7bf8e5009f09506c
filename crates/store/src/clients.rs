//! `clients`: external-application configurations.

//!
//! Every change here bumps `settings.registry_version` in the same unit of work: servers cache
//! apps and drop the cache when the version moves (within a second, for other processes).

use crate::{json, settings, to_json, Conn, Result};
use authdesk_core::client::ClientSettings;

#[derive(Debug, Clone)]
pub struct ClientRow {
    pub id: String,
    pub settings: ClientSettings,
    pub secret_hash: Option<Vec<u8>>,
    pub secret_rotated_at: Option<i64>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Raw {
    id: String,
    settings: String,
    secret_hash: Option<Vec<u8>>,
    secret_rotated_at: Option<i64>,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Raw> for ClientRow {
    type Error = crate::StoreError;
    fn try_from(r: Raw) -> Result<Self> {
        Ok(ClientRow {
            settings: json("client settings", &r.settings)?,
            id: r.id,
            secret_hash: r.secret_hash,
            secret_rotated_at: r.secret_rotated_at,
            enabled: r.enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str =
    "id, settings, secret_hash, secret_rotated_at, enabled, created_at, updated_at";

pub async fn insert(conn: &mut Conn, c: &ClientRow) -> Result<()> {
    sqlx::query("INSERT INTO clients (id, name, settings, secret_hash, secret_rotated_at, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(&c.id)
        .bind(&c.settings.name)
        .bind(to_json(&c.settings))
        .bind(&c.secret_hash)
        .bind(c.secret_rotated_at)
        .bind(c.enabled)
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(&mut *conn)
        .await?;
    settings::bump(conn, settings::REGISTRY_VERSION).await
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<ClientRow>> {
    let raw: Option<Raw> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM clients WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    raw.map(ClientRow::try_from).transpose()
}

/// Apps whose name or id contains `search` (all when empty), by name, a page at a time.
pub async fn list(
    conn: &mut Conn,
    search: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<ClientRow>> {
    let pattern = format!(
        "%{}%",
        search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let raws: Vec<Raw> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM clients WHERE name LIKE ?1 ESCAPE '\\' OR id LIKE ?1 ESCAPE '\\' ORDER BY name, id LIMIT ?2 OFFSET ?3"
    ))
    .bind(pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    raws.into_iter().map(ClientRow::try_from).collect()
}

pub async fn update_settings(
    conn: &mut Conn,
    id: &str,
    s: &ClientSettings,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query("UPDATE clients SET name = ?, settings = ?, updated_at = ? WHERE id = ?")
        .bind(&s.name)
        .bind(to_json(s))
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    changed(conn, r.rows_affected()).await
}

pub async fn set_secret(conn: &mut Conn, id: &str, hash: Option<&[u8]>, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE clients SET secret_hash = ?, secret_rotated_at = ?, updated_at = ? WHERE id = ?",
    )
    .bind(hash)
    .bind(now)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    changed(conn, r.rows_affected()).await
}

pub async fn set_enabled(conn: &mut Conn, id: &str, enabled: bool, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE clients SET enabled = ?, updated_at = ? WHERE id = ?")
        .bind(enabled)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    changed(conn, r.rows_affected()).await
}

pub async fn delete(conn: &mut Conn, id: &str) -> Result<bool> {
    let r = sqlx::query("DELETE FROM clients WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    changed(conn, r.rows_affected()).await
}

/// Bumps the registry version when a statement changed an app; says whether it did.
async fn changed(conn: &mut Conn, rows: u64) -> Result<bool> {
    if rows == 1 {
        settings::bump(conn, settings::REGISTRY_VERSION).await?;
    }
    Ok(rows == 1)
}
