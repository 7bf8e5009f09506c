//! `interactions`: an authorization request paused for the login and consent pages.

use crate::{Conn, Result, Script};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InteractionRow {
    pub id: String,
    pub csrf_token: String,
    /// The validated authorization request, as JSON owned by the server crate.
    pub request: String,
    pub sub: Option<String>,
    pub auth_time: Option<i64>,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut Conn, i: &InteractionRow) -> Result<()> {
    Script::once(conn, |s| insert_into(s, i)).await.map(|_| ())
}

pub fn insert_into(s: &mut Script, i: &InteractionRow) {
    s.statement("INSERT INTO interactions (id, csrf_token, request, sub, auth_time, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(i.id.clone())
        .bind(i.csrf_token.clone())
        .bind(i.request.clone())
        .bind(i.sub.clone())
        .bind(i.auth_time)
        .bind(i.expires_at);
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<InteractionRow>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT id, csrf_token, request, sub, auth_time, expires_at FROM interactions WHERE id = ?",
        |db, sql| sqlx::query_as(sql).bind(id).fetch_optional(&mut *db).await
    )?)
}

pub async fn set_user(conn: &mut Conn, id: &str, sub: &str, auth_time: i64) -> Result<()> {
    crate::on!(
        &mut *conn,
        "UPDATE interactions SET sub = ?, auth_time = ? WHERE id = ?",
        |db, sql| sqlx::query(sql)
            .bind(sub)
            .bind(auth_time)
            .bind(id)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// Removes the interaction; true if this call was the one that removed it.
pub async fn take(conn: &mut Conn, id: &str) -> Result<bool> {
    let r = crate::on!(
        &mut *conn,
        "DELETE FROM interactions WHERE id = ?",
        |db, sql| sqlx::query(sql)
            .bind(id)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(r == 1)
}
