//! `client_assertions`: `jti`s of private_key_jwt assertions already accepted.

use crate::{Conn, Result};

/// Records the assertion; false if this client already used this `jti` and that assertion has
/// not expired yet (a replay). Expired entries are replaced here and pruned in bulk elsewhere.
pub async fn remember(
    conn: &mut Conn,
    client_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    let r = crate::on!(
        &mut *conn,
        "INSERT INTO client_assertions (client_id, jti, expires_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
         WHERE client_assertions.expires_at <= ?4",
        |db, sql| sqlx::query(sql)
            .bind(client_id)
            .bind(jti)
            .bind(expires_at)
            .bind(now)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(r == 1)
}
