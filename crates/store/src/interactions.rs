//! `interactions`: what must be remembered of a login form, and only once someone used it.
//! The paused authorization request itself travels sealed in the form (the server crate's
//! `api::authorize`), so opening a login page stores nothing; a row appears when the form is
//! posted with a wrong password (its failure count) or completed (spent: it never issues a
//! second code), and is pruned when the form expires.

use crate::{Conn, Result};

/// What is known of one login form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FormState {
    pub failed_logins: i64,
    pub spent: bool,
}

/// The form's state; `None` when nothing happened to it yet.
pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<FormState>> {
    let row: Option<(i64, Option<i64>)> = crate::on!(
        &mut *conn,
        "SELECT failed_logins, spent_at FROM interactions WHERE id = ?",
        |db, sql| sqlx::query_as(sql).bind(id).fetch_optional(&mut *db).await
    )?;
    Ok(row.map(|(failed_logins, spent_at)| FormState {
        failed_logins,
        spent: spent_at.is_some(),
    }))
}

/// Counts one more wrong password on a form (live until `expires_at`); its count so far, or
/// `None` if the form is spent.
pub async fn fail(conn: &mut Conn, id: &str, expires_at: i64) -> Result<Option<i64>> {
    Ok(crate::on!(
        &mut *conn,
        "INSERT INTO interactions (id, csrf_token, request, expires_at, failed_logins) VALUES (?1, '', '', ?2, 1)
         ON CONFLICT (id) DO UPDATE SET failed_logins = interactions.failed_logins + 1
         WHERE interactions.spent_at IS NULL RETURNING failed_logins",
        |db, sql| sqlx::query_scalar(sql)
            .bind(id)
            .bind(expires_at)
            .fetch_optional(&mut *db)
            .await
    )?)
}

/// Spends a form (completed, or its wrong-password budget used up); true if this call spent
/// it, false if it already was.
pub async fn spend(conn: &mut Conn, id: &str, expires_at: i64, now: i64) -> Result<bool> {
    let n = crate::on!(
        &mut *conn,
        "INSERT INTO interactions (id, csrf_token, request, expires_at, spent_at) VALUES (?1, '', '', ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET spent_at = ?3 WHERE interactions.spent_at IS NULL",
        |db, sql| sqlx::query(sql)
            .bind(id)
            .bind(expires_at)
            .bind(now)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(n == 1)
}
