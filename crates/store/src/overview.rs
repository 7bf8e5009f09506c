//! The console's home: how many apps, people and live grants there are, in one query.

use crate::{Conn, Result};

#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Counts {
    pub apps: i64,
    pub apps_disabled: i64,
    pub users: i64,
    /// Grants neither revoked nor past their chain's end at `now`.
    pub active_grants: i64,
    /// 1 once any token was issued or minted (a grant or an access token exists, or the audit
    /// says so): the
    /// first-run page's last step.
    pub tokens_issued: i64,
}

/// The counts at `now` (Unix seconds). A grant counts as active like
/// `authdesk_core::status::grant_status` says: not revoked, chain not ended.
pub async fn counts(conn: &mut Conn, now: i64) -> Result<Counts> {
    Ok(crate::on!(&mut *conn, "SELECT (SELECT COUNT(*) FROM clients) AS apps,
                (SELECT COUNT(*) FROM clients WHERE NOT enabled) AS apps_disabled,
                (SELECT COUNT(*) FROM users) AS users,
                (SELECT COUNT(*) FROM grants WHERE revoked_at IS NULL AND (chain_ends_at IS NULL OR chain_ends_at > ?1)) AS active_grants,
                CASE WHEN EXISTS (SELECT 1 FROM grants) OR EXISTS (SELECT 1 FROM access_tokens)
                       OR EXISTS (SELECT 1 FROM audit WHERE action IN ('token.issue', 'token.mint'))
                     THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END AS tokens_issued", |db, sql| sqlx::query_as(sql)
    .bind(now)
    .fetch_one(&mut *db)
    .await)?)
}
