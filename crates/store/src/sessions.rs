//! `sessions`: a user's login at the sandbox issuer (the cookie carries the unhashed id).

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: Vec<u8>,
    pub sub: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut Conn, s: &SessionRow) -> Result<()> {
    crate::on!(
        &mut *conn,
        "INSERT INTO sessions (id_hash, sub, auth_time, expires_at) VALUES (?, ?, ?, ?)",
        |db, sql| sqlx::query(sql)
            .bind(&s.id_hash)
            .bind(&s.sub)
            .bind(s.auth_time)
            .bind(s.expires_at)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id_hash: &[u8]) -> Result<Option<SessionRow>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT id_hash, sub, auth_time, expires_at FROM sessions WHERE id_hash = ?",
        |db, sql| sqlx::query_as(sql)
            .bind(id_hash)
            .fetch_optional(&mut *db)
            .await
    )?)
}

/// Ends one login session (a sign-out); true if there was one.
pub async fn delete(conn: &mut Conn, id_hash: &[u8]) -> Result<bool> {
    let n = crate::on!(
        &mut *conn,
        "DELETE FROM sessions WHERE id_hash = ?",
        |db, sql| sqlx::query(sql)
            .bind(id_hash)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(n > 0)
}

/// Ends every login session of a user (their grants revoked, or they were disabled);
/// returns how many.
pub async fn delete_for_user(conn: &mut Conn, sub: &str) -> Result<u64> {
    Ok(crate::on!(
        &mut *conn,
        "DELETE FROM sessions WHERE sub = ?",
        |db, sql| sqlx::query(sql)
            .bind(sub)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?)
}
