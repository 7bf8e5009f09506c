//! `refresh_tokens`: the nodes of a grant's tree, stored by hash.

use crate::grants::GrantRow;
use crate::{Conn, Result, Script};
use authdesk_core::clock::from_unix;
use authdesk_core::status::RefreshFacts;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct RefreshTokenRow {
    pub id: String,
    pub grant_id: String,
    pub parent_id: Option<String>,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub use_count: i64,
}

/// What the status rules ([`authdesk_core::status`]) need of a refresh token.
impl From<&RefreshTokenRow> for RefreshFacts {
    fn from(t: &RefreshTokenRow) -> Self {
        RefreshFacts {
            expires_at: from_unix(t.expires_at),
            consumed_at: t.consumed_at.map(from_unix),
        }
    }
}

const COLUMNS: &str = "r.id, r.grant_id, r.parent_id, r.token_hash, r.issued_at, r.expires_at, r.consumed_at, r.last_used_at, r.use_count";

pub fn insert_into(s: &mut Script, t: &RefreshTokenRow) {
    s.statement("INSERT INTO refresh_tokens (id, grant_id, parent_id, token_hash, issued_at, expires_at, consumed_at, last_used_at, use_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(t.id.clone())
        .bind(t.grant_id.clone())
        .bind(t.parent_id.clone())
        .bind(t.token_hash.clone())
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(t.consumed_at)
        .bind(t.last_used_at)
        .bind(t.use_count);
}

/// The token with this hash and its grant (one query: each is a round trip to SQLite's thread).
pub async fn by_hash(conn: &mut Conn, hash: &[u8]) -> Result<Option<(RefreshTokenRow, GrantRow)>> {
    let row: Option<WithGrant> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {} FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id WHERE r.token_hash = ?",
        crate::grants::PREFIXED_COLUMNS
    ))
    .bind(hash)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|w| (w.token, w.grant.into())))
}

/// What a refresh needs, in one query: the token, its grant, and the claims of the grant's
/// user (`None` if the user no longer exists), for an ID token.
pub async fn for_refresh(
    conn: &mut Conn,
    hash: &[u8],
) -> Result<
    Option<(
        RefreshTokenRow,
        GrantRow,
        Option<serde_json::Map<String, serde_json::Value>>,
    )>,
> {
    let row: Option<WithGrantAndUser> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {}, u.claims AS user_claims FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id LEFT JOIN users u ON u.sub = g.sub WHERE r.token_hash = ?",
        crate::grants::PREFIXED_COLUMNS
    ))
    .bind(hash)
    .fetch_optional(conn)
    .await?;
    row.map(|w| {
        let claims = w
            .user_claims
            .map(|c| crate::json("user claims", &c))
            .transpose()?;
        Ok((w.token, w.grant.into(), claims))
    })
    .transpose()
}

#[derive(sqlx::FromRow)]
struct WithGrantAndUser {
    #[sqlx(flatten)]
    token: RefreshTokenRow,
    #[sqlx(flatten)]
    grant: crate::grants::PrefixedGrant,
    user_claims: Option<String>,
}

#[derive(sqlx::FromRow)]
struct WithGrant {
    #[sqlx(flatten)]
    token: RefreshTokenRow,
    #[sqlx(flatten)]
    grant: crate::grants::PrefixedGrant,
}

/// Every token of a grant's tree, oldest first.
pub async fn of_grant(conn: &mut Conn, grant_id: &str) -> Result<Vec<RefreshTokenRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM refresh_tokens r WHERE r.grant_id = ? ORDER BY r.issued_at, r.rowid"
    ))
    .bind(grant_id)
    .fetch_all(conn)
    .await?)
}

/// Records a use. For rotation (`consume`) it changes the row only if the token was not
/// consumed yet, so of two concurrent uses exactly one wins: one row changed, or none.
pub fn record_use_into(s: &mut Script, id: &str, now: i64, consume: bool) {
    if consume {
        s.statement("UPDATE refresh_tokens SET consumed_at = ?, last_used_at = ?, use_count = use_count + 1 WHERE id = ? AND consumed_at IS NULL")
            .bind(now);
    } else {
        s.statement(
            "UPDATE refresh_tokens SET last_used_at = ?, use_count = use_count + 1 WHERE id = ?",
        );
    }
    s.bind(now).bind(id.to_string());
}
