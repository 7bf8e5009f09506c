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
    sqlx::query("INSERT INTO sessions (id_hash, sub, auth_time, expires_at) VALUES (?, ?, ?, ?)")
        .bind(&s.id_hash)
        .bind(&s.sub)
        .bind(s.auth_time)
        .bind(s.expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id_hash: &[u8]) -> Result<Option<SessionRow>> {
    Ok(
        sqlx::query_as(
            "SELECT id_hash, sub, auth_time, expires_at FROM sessions WHERE id_hash = ?",
        )
        .bind(id_hash)
        .fetch_optional(conn)
        .await?,
    )
}
