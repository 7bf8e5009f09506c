//! `signing_keys`: the issuer's JWT signing keys (private part as PKCS#8 DER).

use crate::facts::{Key, Writes};
use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub private_der: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

const INSERT: &str = "INSERT INTO signing_keys (kid, alg, private_der, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)";

/// [`insert`], as a write of a decision: it changes the set of keys of its algorithm.
pub fn insert_into(w: &mut Writes, k: &KeyRow) {
    w.changes(Key::SigningKeys(k.alg.clone()))
        .statement(INSERT)
        .bind(k.kid.clone())
        .bind(k.alg.clone())
        .bind(k.private_der.clone())
        .bind(k.public_jwk.clone())
        .bind(k.created_at)
        .bind(k.retired_at);
}

/// Retires the active key `k`, as a write of a decision.
pub fn retire_into(w: &mut Writes, k: &KeyRow, now: i64) {
    w.changes(Key::SigningKeys(k.alg.clone()))
        .statement("UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL")
        .bind(now)
        .bind(k.kid.clone());
}

pub async fn insert(conn: &mut Conn, k: &KeyRow) -> Result<()> {
    crate::on!(&mut *conn, INSERT, |db, sql| sqlx::query(sql)
        .bind(&k.kid)
        .bind(&k.alg)
        .bind(&k.private_der)
        .bind(&k.public_jwk)
        .bind(k.created_at)
        .bind(k.retired_at)
        .execute(&mut *db)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Every key, newest first.
pub async fn all(conn: &mut Conn) -> Result<Vec<KeyRow>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT kid, alg, private_der, public_jwk, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, rowid DESC",
        |db, sql| sqlx::query_as(sql).fetch_all(&mut *db).await
    )?)
}

/// Retires the active key of `alg` (the caller inserts the new one in the same transaction).
pub async fn retire_active(conn: &mut Conn, alg: &str, now: i64) -> Result<u64> {
    let r = crate::on!(
        &mut *conn,
        "UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL AND alg = ?",
        |db, sql| sqlx::query(sql)
            .bind(now)
            .bind(alg)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(r)
}

/// Whether an active key of `alg` exists.
pub async fn has_active(conn: &mut Conn, alg: &str) -> Result<bool> {
    let n: i64 = crate::on!(
        &mut *conn,
        "SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL AND alg = ?",
        |db, sql| sqlx::query_scalar(sql).bind(alg).fetch_one(&mut *db).await
    )?;
    Ok(n > 0)
}
