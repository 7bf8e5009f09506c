//! `consents`: scopes a user has approved for an app (so `prompt=none` can succeed).

use crate::{Conn, Result};

pub async fn get(conn: &mut Conn, sub: &str, client_id: &str) -> Result<Option<String>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT scope FROM consents WHERE sub = ? AND client_id = ?",
        |db, sql| sqlx::query_scalar(sql)
            .bind(sub)
            .bind(client_id)
            .fetch_optional(&mut *db)
            .await
    )?)
}

pub async fn put(conn: &mut Conn, sub: &str, client_id: &str, scope: &str, now: i64) -> Result<()> {
    crate::on!(
        &mut *conn,
        "INSERT INTO consents (sub, client_id, scope, granted_at) VALUES (?, ?, ?, ?) ON CONFLICT (sub, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        |db, sql| sqlx::query(sql)
            .bind(sub)
            .bind(client_id)
            .bind(scope)
            .bind(now)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}
