//! `leases`: a job one process at a time does (PostgreSQL's audit sealer, `writer::sealer`).
//!
//! A lease is a row: its holder and until when it holds it (Unix milliseconds by the holder's
//! wall clock). Taking and renewing are one conditional upsert, so two processes can never both
//! succeed for the same moment; a holder that dies stops renewing and another takes the lease
//! once it lapses. A lease only says whose turn it is: what it guards must stay correct if two
//! holders overlap (clocks that disagree), which the audit's chain lock ensures for sealing.

use crate::{Conn, Result};

/// Takes the lease `name` for `holder` until `until`, or renews it if `holder` has it. False
/// when someone else holds it past `now`.
pub async fn take(conn: &mut Conn, name: &str, holder: &str, now: i64, until: i64) -> Result<bool> {
    let got: Option<String> = crate::on!(
        &mut *conn,
        "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
         WHERE leases.holder = excluded.holder OR leases.until < ?4
         RETURNING holder",
        |db, sql| sqlx::query_scalar(sql)
            .bind(name)
            .bind(holder)
            .bind(until)
            .bind(now)
            .fetch_optional(&mut *db)
            .await
    )?;
    Ok(got.is_some())
}

/// Gives the lease up at once, if `holder` has it (a process closing in order).
pub async fn release(conn: &mut Conn, name: &str, holder: &str) -> Result<()> {
    crate::on!(
        &mut *conn,
        "UPDATE leases SET until = 0 WHERE name = ? AND holder = ?",
        |db, sql| sqlx::query(sql)
            .bind(name)
            .bind(holder)
            .execute(&mut *db)
            .await
            .map(|_| ())
    )?;
    Ok(())
}

/// Who holds the lease `name`, and until when (it may have lapsed).
pub async fn holder(conn: &mut Conn, name: &str) -> Result<Option<(String, i64)>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT holder, until FROM leases WHERE name = ?",
        |db, sql| sqlx::query_as(sql)
            .bind(name)
            .fetch_optional(&mut *db)
            .await
    )?)
}
