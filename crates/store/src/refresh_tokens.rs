//! `refresh_tokens`: the nodes of a grant's tree, stored by hash.

use crate::facts::{Key, Writes};
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
    let row: Option<WithGrant> = crate::on!(
        &mut *conn,
        &format!(
            "SELECT {COLUMNS}, {} FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id WHERE r.token_hash = ?",
            crate::grants::PREFIXED_COLUMNS
        ),
        |db, sql| sqlx::query_as(sql)
            .bind(hash)
            .fetch_optional(&mut *db)
            .await
    )?;
    Ok(row.map(|w| (w.token, w.grant.into())))
}

/// What a refresh decides on ([`crate::facts::Key::RefreshToken`]): the token, its grant, and
/// the claims of the grant's user (`None` if the user no longer exists), for an ID token.
#[derive(Debug, Clone)]
pub struct ForRefresh {
    pub token: RefreshTokenRow,
    pub grant: GrantRow,
    pub user_claims: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The query behind [`for_refresh`] and [`for_refresh_many`], for `keys` token hashes.
fn for_refresh_sql(keys: usize) -> String {
    let placeholders = vec!["?"; keys].join(", ");
    format!(
        "SELECT {COLUMNS}, {}, CAST(u.claims AS TEXT) AS user_claims FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id LEFT JOIN users u ON u.sub = g.sub WHERE r.token_hash IN ({placeholders})",
        crate::grants::PREFIXED_COLUMNS
    )
}

impl TryFrom<WithGrantAndUser> for ForRefresh {
    type Error = crate::StoreError;
    fn try_from(w: WithGrantAndUser) -> Result<Self> {
        let user_claims = w
            .user_claims
            .map(|c| crate::json("user claims", &c))
            .transpose()?;
        Ok(ForRefresh {
            token: w.token,
            grant: w.grant.into(),
            user_claims,
        })
    }
}

/// [`for_refresh`] with the token's and its grant's rows locked until the transaction ends
/// (PostgreSQL only: concurrent refreshes of one token, on any node, then run one after the
/// other, and the second sees what the first wrote).
pub async fn for_refresh_locked(conn: &mut Conn, hash: &[u8]) -> Result<Option<ForRefresh>> {
    let sql = format!("{} FOR UPDATE OF r, g", for_refresh_sql(1));
    let row: Option<WithGrantAndUser> = crate::on!(&mut *conn, sql, |db, sql| sqlx::query_as(sql)
        .bind(hash)
        .fetch_optional(&mut *db)
        .await)?;
    row.map(ForRefresh::try_from).transpose()
}

/// What a refresh with the token of this hash needs, in one query.
pub async fn for_refresh(conn: &mut Conn, hash: &[u8]) -> Result<Option<ForRefresh>> {
    let row: Option<WithGrantAndUser> =
        crate::on!(&mut *conn, &for_refresh_sql(1), |db, sql| sqlx::query_as(
            sql
        )
        .bind(hash)
        .fetch_optional(&mut *db)
        .await)?;
    row.map(ForRefresh::try_from).transpose()
}

/// [`for_refresh`] for several hashes in one query (the writer's batches of refreshes); a
/// hash with no token is absent from the answer. The list is padded to a power of two by
/// repeating its last hash, so that SQLite sees a handful of statement texts, prepared once.
pub async fn for_refresh_many(conn: &mut Conn, hashes: &[Vec<u8>]) -> Result<Vec<ForRefresh>> {
    let Some(last) = hashes.last() else {
        return Ok(Vec::new());
    };
    let padded = hashes.len().next_power_of_two();
    let sql = for_refresh_sql(padded);
    let padding = std::iter::repeat_n(last, padded - hashes.len());
    let rows: Vec<WithGrantAndUser> = crate::on!(&mut *conn, sql, |db, sql| {
        let mut query = sqlx::query_as::<_, WithGrantAndUser>(sql);
        for h in hashes.iter().chain(padding.clone()) {
            query = query.bind(h.as_slice());
        }
        query.fetch_all(&mut *db).await
    })?;
    rows.into_iter().map(ForRefresh::try_from).collect()
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
    Ok(crate::on!(
        &mut *conn,
        &format!(
            "SELECT {COLUMNS} FROM refresh_tokens r WHERE r.grant_id = ? ORDER BY r.issued_at, r.rowid"
        ),
        |db, sql| sqlx::query_as(sql).bind(grant_id).fetch_all(&mut *db).await
    )?)
}

/// Records a use of `token`. For rotation (`consume`) it changes the row only if the token was
/// not consumed yet, so of two concurrent uses exactly one wins: one row changed, or none.
pub fn record_use_into(w: &mut Writes, token: &RefreshTokenRow, now: i64, consume: bool) {
    let s = w.changes(Key::RefreshToken(token.token_hash.clone()));
    if consume {
        s.statement("UPDATE refresh_tokens SET consumed_at = ?, last_used_at = ?, use_count = use_count + 1 WHERE id = ? AND consumed_at IS NULL")
            .bind(now);
    } else {
        s.statement(
            "UPDATE refresh_tokens SET last_used_at = ?, use_count = use_count + 1 WHERE id = ?",
        );
    }
    s.bind(now).bind(token.id.clone());
}
