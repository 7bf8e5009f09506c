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

/// Forgets approvals: a user's for one app (`sub` and `client_id`), all of a user's (`sub`),
/// or every user's for an app (`client_id`); returns how many. Revoking grants forgets what
/// let new ones be made without asking.
pub async fn forget(conn: &mut Conn, sub: Option<&str>, client_id: Option<&str>) -> Result<u64> {
    let n = match (sub, client_id) {
        (Some(sub), Some(client)) => crate::on!(
            &mut *conn,
            "DELETE FROM consents WHERE sub = ? AND client_id = ?",
            |db, sql| sqlx::query(sql)
                .bind(sub)
                .bind(client)
                .execute(&mut *db)
                .await
                .map(|r| r.rows_affected())
        )?,
        (Some(sub), None) => crate::on!(
            &mut *conn,
            "DELETE FROM consents WHERE sub = ?",
            |db, sql| sqlx::query(sql)
                .bind(sub)
                .execute(&mut *db)
                .await
                .map(|r| r.rows_affected())
        )?,
        (None, Some(client)) => crate::on!(
            &mut *conn,
            "DELETE FROM consents WHERE client_id = ?",
            |db, sql| sqlx::query(sql)
                .bind(client)
                .execute(&mut *db)
                .await
                .map(|r| r.rows_affected())
        )?,
        (None, None) => 0,
    };
    Ok(n)
}
