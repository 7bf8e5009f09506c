//! `authorization_codes`: single-use codes, stored by hash.

use crate::{Conn, Result, Script};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub code_hash: Vec<u8>,
    pub client_id: String,
    pub sub: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub grant_id: Option<String>,
}

pub async fn insert(conn: &mut Conn, c: &CodeRow) -> Result<()> {
    Script::once(conn, |s| insert_into(s, c)).await.map(|_| ())
}

pub fn insert_into(s: &mut Script, c: &CodeRow) {
    s.statement("INSERT INTO authorization_codes (code_hash, client_id, sub, redirect_uri, scope, code_challenge, nonce, auth_time, issued_at, expires_at, used_at, grant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(c.code_hash.clone())
        .bind(c.client_id.clone())
        .bind(c.sub.clone())
        .bind(c.redirect_uri.clone())
        .bind(c.scope.clone())
        .bind(c.code_challenge.clone())
        .bind(c.nonce.clone())
        .bind(c.auth_time)
        .bind(c.issued_at)
        .bind(c.expires_at)
        .bind(c.used_at)
        .bind(c.grant_id.clone());
}

pub async fn get(conn: &mut Conn, code_hash: &[u8]) -> Result<Option<CodeRow>> {
    Ok(sqlx::query_as("SELECT code_hash, client_id, sub, redirect_uri, scope, code_challenge, nonce, auth_time, issued_at, expires_at, used_at, grant_id FROM authorization_codes WHERE code_hash = ?")
        .bind(code_hash)
        .fetch_optional(conn)
        .await?)
}

/// Marks the code used (and by which grant), only if it was unused: true if this call did it.
pub async fn mark_used(
    conn: &mut Conn,
    code_hash: &[u8],
    now: i64,
    grant_id: Option<&str>,
) -> Result<bool> {
    Ok(Script::once(conn, |s| mark_used_into(s, code_hash, now, grant_id)).await? == 1)
}

/// [`mark_used`] as part of a script: it changes one row, or none if the code was used.
pub fn mark_used_into(s: &mut Script, code_hash: &[u8], now: i64, grant_id: Option<&str>) {
    s.statement("UPDATE authorization_codes SET used_at = ?, grant_id = ? WHERE code_hash = ? AND used_at IS NULL")
        .bind(now)
        .bind(grant_id.map(String::from))
        .bind(code_hash.to_vec());
}
