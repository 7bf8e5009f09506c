//! `access_tokens`: a record of every JWT access token issued (by `jti`), so introspection,
//! userinfo and the console can tell whether one was revoked and which grant it came from.

use crate::{Conn, Result, Script};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AccessTokenRow {
    pub jti: String,
    pub client_id: String,
    pub sub: String,
    pub grant_id: Option<String>,
    pub refresh_token_id: Option<String>,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The thumbprint of the DPoP key the token is bound to (RFC 9449 `cnf.jkt`), if any.
    pub dpop_jkt: Option<String>,
}

const COLUMNS: &str = "jti, client_id, sub, grant_id, refresh_token_id, scope, issued_at, expires_at, revoked_at, dpop_jkt";

pub fn insert_into(s: &mut Script, a: &AccessTokenRow) {
    s.statement(&INSERT)
        .bind(a.jti.clone())
        .bind(a.client_id.clone())
        .bind(a.sub.clone())
        .bind(a.grant_id.clone())
        .bind(a.refresh_token_id.clone())
        .bind(a.scope.clone())
        .bind(a.issued_at)
        .bind(a.expires_at)
        .bind(a.revoked_at)
        .bind(a.dpop_jkt.clone());
}

static INSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("INSERT INTO access_tokens ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
});

pub async fn get(conn: &mut Conn, jti: &str) -> Result<Option<AccessTokenRow>> {
    Ok(crate::on!(
        &mut *conn,
        &format!("SELECT {COLUMNS} FROM access_tokens WHERE jti = ?"),
        |db, sql| sqlx::query_as(sql).bind(jti).fetch_optional(&mut *db).await
    )?)
}

/// The token's record and whether its grant (if it has one) still exists unrevoked and its
/// user still exists — or, for a token without a grant that names a user (a service
/// account's: `sub` is not the app), whether that user still exists: what introspection and
/// userinfo check, in one query.
pub async fn with_grant_state(
    conn: &mut Conn,
    jti: &str,
) -> Result<Option<(AccessTokenRow, bool)>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        #[sqlx(flatten)]
        token: AccessTokenRow,
        grant_live: bool,
    }
    let found: Option<Found> = crate::on!(&mut *conn, "SELECT a.jti, a.client_id, a.sub, a.grant_id, a.refresh_token_id, a.scope, a.issued_at, a.expires_at, a.revoked_at, a.dpop_jkt,
                ((a.grant_id IS NULL AND (a.sub = a.client_id
                    OR EXISTS (SELECT 1 FROM users u WHERE u.sub = a.sub)))
                 OR (g.id IS NOT NULL AND g.revoked_at IS NULL
                    AND EXISTS (SELECT 1 FROM users u WHERE u.sub = g.sub))) AS grant_live
         FROM access_tokens a LEFT JOIN grants g ON g.id = a.grant_id WHERE a.jti = ?", |db, sql| sqlx::query_as(sql)
    .bind(jti)
    .fetch_optional(&mut *db)
    .await)?;
    Ok(found.map(|f| (f.token, f.grant_live)))
}

pub async fn of_grant(conn: &mut Conn, grant_id: &str) -> Result<Vec<AccessTokenRow>> {
    Ok(crate::on!(
        &mut *conn,
        &format!(
            "SELECT {COLUMNS} FROM access_tokens WHERE grant_id = ? ORDER BY issued_at, rowid"
        ),
        |db, sql| sqlx::query_as(sql).bind(grant_id).fetch_all(&mut *db).await
    )?)
}

pub async fn revoke(conn: &mut Conn, jti: &str, now: i64) -> Result<bool> {
    let r = crate::on!(
        &mut *conn,
        "UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL",
        |db, sql| sqlx::query(sql)
            .bind(now)
            .bind(jti)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(r == 1)
}
