//! `client_assertions`: `jti`s of one-time JWTs already accepted, until they expire: private_key_jwt
//! assertions (by client id) and DPoP proofs (by `dpop:` and the key's thumbprint: a proof's
//! `jti` is unique per key, RFC 9449 §11.1). Pruned with the other expired rows.

use crate::{Conn, Result, Script};

/// Records the assertion; false if this client already used this `jti` and that assertion has
/// not expired yet (a replay). Expired entries are replaced here and pruned in bulk elsewhere.
pub async fn remember(
    conn: &mut Conn,
    client_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    let r = crate::on!(&mut *conn, REMEMBER, |db, sql| sqlx::query(sql)
        .bind(client_id)
        .bind(jti)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *db)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(r == 1)
}

const REMEMBER: &str = "INSERT INTO client_assertions (client_id, jti, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
     WHERE client_assertions.expires_at <= ?";

/// [`remember_proof`] as a statement of the unit that issues the proof's token: it changes one
/// row, or none for a replay, which fails the unit (`StoreError::Missed`) with nothing written.
pub fn remember_proof_into(s: &mut Script, jkt: &str, jti: &str, expires_at: i64, now: i64) {
    s.statement(REMEMBER)
        .bind(format!("dpop:{jkt}"))
        .bind(jti.to_string())
        .bind(expires_at)
        .bind(now);
}

/// [`remember`] for a DPoP proof of the key with thumbprint `jkt`: false if that key already
/// used this `jti` within the window (a replay).
pub async fn remember_proof(
    conn: &mut Conn,
    jkt: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    remember(conn, &format!("dpop:{jkt}"), jti, expires_at, now).await
}

/// Whether the key with thumbprint `jkt` used a proof with this `jti` that is still
/// remembered at `now` (Explain: a proof sent twice is refused the second time).
pub async fn proof_used(conn: &mut Conn, jkt: &str, jti: &str, now: i64) -> Result<bool> {
    let key = format!("dpop:{jkt}");
    let found: Option<i64> = crate::on!(
        &mut *conn,
        "SELECT expires_at FROM client_assertions WHERE client_id = ? AND jti = ? AND expires_at > ?",
        |db, sql| sqlx::query_scalar(sql)
            .bind(&key)
            .bind(jti)
            .bind(now)
            .fetch_optional(&mut *db)
            .await
    )?;
    Ok(found.is_some())
}
