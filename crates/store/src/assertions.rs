//! `client_assertions`: `jti`s of private_key_jwt assertions already accepted.

use crate::{Conn, Result};

/// Records the assertion; false if this client already used this `jti` (a replay).
pub async fn remember(
    conn: &mut Conn,
    client_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    sqlx::query("DELETE FROM client_assertions WHERE expires_at < ?")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let r = sqlx::query("INSERT INTO client_assertions (client_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        .bind(client_id)
        .bind(jti)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
