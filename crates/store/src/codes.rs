//! `authorization_codes`: single-use codes, stored by hash.

use crate::{Conn, Result, Script, StoreError};
use authdesk_core::clock::from_unix;
use authdesk_core::code::IssuedCode;
use authdesk_core::pkce::CodeChallenge;

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
    /// The issuer it was issued at (`IssuerKind::as_str`); `None`: the default profile's.
    pub issuer: Option<String>,
    /// The `claims` request parameter (JSON), if any.
    pub claims: Option<String>,
    /// The authorization request's `dpop_jkt` (RFC 9449 §10): the key the exchange must prove.
    pub dpop_jkt: Option<String>,
}

/// The stored code as the exchange rule (`authdesk_core::code::check`) sees it: times as
/// `DateTime`, the challenge parsed again (a stored one that is not S256 is not ours).
impl TryFrom<&CodeRow> for IssuedCode {
    type Error = StoreError;
    fn try_from(row: &CodeRow) -> Result<Self> {
        let challenge = row
            .code_challenge
            .as_deref()
            .map(|c| CodeChallenge::parse(c, Some("S256")))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("a stored code challenge: {e}")))?;
        Ok(IssuedCode {
            client_id: row.client_id.clone(),
            redirect_uri: row.redirect_uri.clone(),
            challenge,
            expires_at: from_unix(row.expires_at),
            used: row.used_at.is_some(),
        })
    }
}

pub async fn insert(conn: &mut Conn, c: &CodeRow) -> Result<()> {
    Script::once(conn, |s| insert_into(s, c)).await.map(|_| ())
}

pub fn insert_into(s: &mut Script, c: &CodeRow) {
    s.statement("INSERT INTO authorization_codes (code_hash, client_id, sub, redirect_uri, scope, code_challenge, nonce, auth_time, issued_at, expires_at, used_at, grant_id, issuer, claims, dpop_jkt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
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
        .bind(c.grant_id.clone())
        .bind(c.issuer.clone())
        .bind(c.claims.clone())
        .bind(c.dpop_jkt.clone());
}

pub async fn get(conn: &mut Conn, code_hash: &[u8]) -> Result<Option<CodeRow>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT code_hash, client_id, sub, redirect_uri, scope, code_challenge, nonce, auth_time, issued_at, expires_at, used_at, grant_id, issuer, claims, dpop_jkt FROM authorization_codes WHERE code_hash = ?",
        |db, sql| sqlx::query_as(sql)
            .bind(code_hash)
            .fetch_optional(&mut *db)
            .await
    )?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use authdesk_core::pkce::challenge_for;

    #[test]
    fn a_stored_code_converts_for_the_exchange_rule() {
        let row = CodeRow {
            code_hash: vec![1],
            client_id: "app".into(),
            sub: "alice".into(),
            redirect_uri: "https://a.example/cb".into(),
            scope: "openid".into(),
            code_challenge: Some(challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")),
            nonce: None,
            auth_time: 0,
            issued_at: 1_800_000_000,
            expires_at: 1_800_000_060,
            used_at: None,
            grant_id: None,
            issuer: None,
            claims: None,
            dpop_jkt: None,
        };
        let code = IssuedCode::try_from(&row).unwrap();
        assert_eq!(code.expires_at, from_unix(1_800_000_060));
        assert!(!code.used);
        assert!(
            code.challenge
                .is_some_and(|c| c.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
        );
        let used = CodeRow {
            used_at: Some(1_800_000_001),
            code_challenge: None,
            ..row.clone()
        };
        let code = IssuedCode::try_from(&used).unwrap();
        assert!(code.used && code.challenge.is_none());
        // A challenge that is not a base64url SHA-256 was not written by Authdesk.
        let garbled = CodeRow {
            code_challenge: Some("plain-text".into()),
            ..row
        };
        assert!(matches!(
            IssuedCode::try_from(&garbled),
            Err(StoreError::Corrupt(_))
        ));
    }
}
