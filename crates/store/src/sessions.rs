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
