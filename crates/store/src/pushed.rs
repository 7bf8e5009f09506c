//! `pushed_requests`: authorization requests an app pushed (RFC 9126), by the hash of the
//! `request_uri` it was given for them, until used once or expired.

use crate::{Conn, Result, Script};

/// A pushed request as stored: whose it is, its parameters (the form as pushed, JSON), and
/// until when it may be used.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushedRow {
    pub client_id: String,
    pub params: String,
    pub expires_at: i64,
}

/// Stores a pushed request under the hash of its `request_uri`.
pub fn insert_into(s: &mut Script, uri_hash: &[u8], row: &PushedRow) {
    s.statement(
        "INSERT INTO pushed_requests (uri_hash, client_id, params, expires_at) VALUES (?, ?, ?, ?)",
    )
    .bind(uri_hash.to_vec())
    .bind(row.client_id.clone())
    .bind(row.params.clone())
    .bind(row.expires_at);
}

/// Uses the pushed request with this hash, once: returns it, or `None` if there is none or it
/// was used already. Expiry and whose it is are the caller's to check; a request that fails
/// them is used up all the same.
pub async fn take(conn: &mut Conn, uri_hash: &[u8], now: i64) -> Result<Option<PushedRow>> {
    Ok(crate::on!(
        &mut *conn,
        "UPDATE pushed_requests SET used_at = ? WHERE uri_hash = ? AND used_at IS NULL RETURNING client_id, params, expires_at",
        |db, sql| sqlx::query_as(sql)
            .bind(now)
            .bind(uri_hash)
            .fetch_optional(&mut *db)
            .await
    )?)
}
