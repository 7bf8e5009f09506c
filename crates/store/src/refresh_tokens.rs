//! `refresh_tokens`: the nodes of a grant's tree, stored by hash.

use crate::grants::GrantRow;
use crate::{Conn, Result};

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

const COLUMNS: &str = "r.id, r.grant_id, r.parent_id, r.token_hash, r.issued_at, r.expires_at, r.consumed_at, r.last_used_at, r.use_count";

pub async fn insert(conn: &mut Conn, t: &RefreshTokenRow) -> Result<()> {
    sqlx::query("INSERT INTO refresh_tokens (id, grant_id, parent_id, token_hash, issued_at, expires_at, consumed_at, last_used_at, use_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(&t.id)
        .bind(&t.grant_id)
        .bind(&t.parent_id)
        .bind(&t.token_hash)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(t.consumed_at)
        .bind(t.last_used_at)
        .bind(t.use_count)
        .execute(conn)
        .await?;
    Ok(())
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

/// Records a use. For rotation (`consume`), only succeeds if the token was not consumed yet,
/// so of two concurrent uses exactly one wins.
pub async fn record_use(conn: &mut Conn, id: &str, now: i64, consume: bool) -> Result<bool> {
    let sql = if consume {
        "UPDATE refresh_tokens SET consumed_at = ?1, last_used_at = ?1, use_count = use_count + 1 WHERE id = ?2 AND consumed_at IS NULL"
    } else {
        "UPDATE refresh_tokens SET last_used_at = ?1, use_count = use_count + 1 WHERE id = ?2"
    };
    let r = sqlx::query(sql).bind(now).bind(id).execute(conn).await?;
    Ok(r.rows_affected() == 1)
}
