//! The console's home: how many apps, people and live grants there are, in one query.

use crate::{Conn, Result};

#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Counts {
    pub apps: i64,
    pub apps_disabled: i64,
    pub users: i64,
    /// Grants neither revoked nor past their chain's end at `now`.
    pub active_grants: i64,
}

/// The counts at `now` (Unix seconds). A grant counts as active like
/// `authdesk_core::status::grant_status` says: not revoked, chain not ended.
pub async fn counts(conn: &mut Conn, now: i64) -> Result<Counts> {
    Ok(crate::on!(&mut *conn, "SELECT (SELECT COUNT(*) FROM clients) AS apps,
                (SELECT COUNT(*) FROM clients WHERE NOT enabled) AS apps_disabled,
                (SELECT COUNT(*) FROM users) AS users,
                (SELECT COUNT(*) FROM grants WHERE revoked_at IS NULL AND (chain_ends_at IS NULL OR chain_ends_at > ?1)) AS active_grants", |db, sql| sqlx::query_as(sql)
    .bind(now)
    .fetch_one(&mut *db)
    .await)?)
}
