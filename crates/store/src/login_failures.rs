//! `login_failures`: wrong passwords per user name, and the lock they earned (the rule is
//! `authdesk_core::login`). Each login form's own count is on `interactions`.

use crate::{Conn, Result};
use authdesk_core::login::Failures;
use authdesk_core::names::key_of;

// Rows are keyed by the user name's key (`authdesk_core::names`): `Ada` and `ADA` are one
// name, so they share one count and one lock.

pub async fn get(conn: &mut Conn, username: &str) -> Result<Option<Failures>> {
    let row: Option<(i64, i64, Option<i64>)> = crate::on!(
        &mut *conn,
        "SELECT failures, last_failed_at, locked_until FROM login_failures WHERE username = ?",
        |db, sql| sqlx::query_as(sql)
            .bind(key_of(username))
            .fetch_optional(&mut *db)
            .await
    )?;
    Ok(row.map(|(count, last_failed_at, locked_until)| Failures {
        count,
        last_failed_at,
        locked_until,
    }))
}

pub async fn put(conn: &mut Conn, username: &str, f: &Failures) -> Result<()> {
    crate::on!(&mut *conn, "INSERT INTO login_failures (username, failures, last_failed_at, locked_until) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (username) DO UPDATE SET failures = ?2, last_failed_at = ?3, locked_until = ?4", |db, sql| sqlx::query(sql)
    .bind(key_of(username))
    .bind(f.count)
    .bind(f.last_failed_at)
    .bind(f.locked_until)
    .execute(&mut *db)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A successful login clears the user name's failures.
pub async fn clear(conn: &mut Conn, username: &str) -> Result<()> {
    crate::on!(
        &mut *conn,
        "DELETE FROM login_failures WHERE username = ?",
        |db, sql| sqlx::query(sql)
            .bind(key_of(username))
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}
