//! `audit`: every admin action and token event: who, when, what.

use crate::{Conn, Result, Script};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditRow {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

pub async fn record(
    conn: &mut Conn,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    Script::once(conn, |s| record_into(s, at, actor, action, target, detail))
        .await
        .map(|_| ())
}

pub fn record_into(
    s: &mut Script,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) {
    s.statement("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(at)
        .bind(actor.to_string())
        .bind(action.to_string())
        .bind(target.to_string())
        .bind(detail.to_string());
}

/// Newest first; `action` filters by exact action name when given.
pub async fn list(
    conn: &mut Conn,
    action: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRow>> {
    Ok(sqlx::query_as("SELECT id, at, actor, action, target, detail FROM audit WHERE (?1 IS NULL OR action = ?1) ORDER BY id DESC LIMIT ?2 OFFSET ?3")
        .bind(action)
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?)
}
