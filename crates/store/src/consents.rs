//! `consents`: scopes a user has approved for an app (so `prompt=none` can succeed).

use crate::{Conn, Result};

pub async fn get(conn: &mut Conn, sub: &str, client_id: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT scope FROM consents WHERE sub = ? AND client_id = ?")
            .bind(sub)
            .bind(client_id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn put(conn: &mut Conn, sub: &str, client_id: &str, scope: &str, now: i64) -> Result<()> {
    sqlx::query("INSERT INTO consents (sub, client_id, scope, granted_at) VALUES (?, ?, ?, ?) ON CONFLICT (sub, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at")
        .bind(sub)
        .bind(client_id)
        .bind(scope)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
