//! `grants`: one authorization each, the root of a refresh-token chain (a tree).

use crate::facts::{Key, Writes};
use crate::{Conn, Result, Script};
use authdesk_core::clock::from_unix;
use authdesk_core::status::{GrantFacts, GrantStatus};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub sub: String,
    pub scope: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub chain_started_at: Option<i64>,
    pub chain_ends_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
    /// The issuer it was granted at (`IssuerKind::as_str`); `None`: the default profile's.
    pub issuer: Option<String>,
    /// The `claims` request parameter it was granted with (JSON), if any.
    pub claims: Option<String>,
    /// A public client's grant started with a DPoP proof: the key its refresh tokens are bound
    /// to (RFC 9449 §5), as an RFC 7638 thumbprint.
    pub dpop_jkt: Option<String>,
}

/// What the status rules ([`authdesk_core::status`]) need of a grant.
impl From<&GrantRow> for GrantFacts {
    fn from(g: &GrantRow) -> Self {
        GrantFacts {
            chain_ends_at: g.chain_ends_at.map(from_unix),
            revoked_at: g.revoked_at.map(from_unix),
        }
    }
}

pub(crate) const COLUMNS: &str = "g.id, g.client_id, g.sub, g.scope, g.auth_time, g.created_at, g.chain_started_at, g.chain_ends_at, g.revoked_at, g.revoked_by, g.revoke_reason, g.issuer, g.claims, g.dpop_jkt";

/// The grant's columns named `g_*`, to select them beside another table's in one query.
pub(crate) const PREFIXED_COLUMNS: &str = "g.id AS g_id, g.client_id AS g_client_id, g.sub AS g_sub, g.scope AS g_scope, g.auth_time AS g_auth_time, g.created_at AS g_created_at, g.chain_started_at AS g_chain_started_at, g.chain_ends_at AS g_chain_ends_at, g.revoked_at AS g_revoked_at, g.revoked_by AS g_revoked_by, g.revoke_reason AS g_revoke_reason, g.issuer AS g_issuer, g.claims AS g_claims, g.dpop_jkt AS g_dpop_jkt";

/// A grant read through [`PREFIXED_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct PrefixedGrant {
    g_id: String,
    g_client_id: String,
    g_sub: String,
    g_scope: String,
    g_auth_time: i64,
    g_created_at: i64,
    g_chain_started_at: Option<i64>,
    g_chain_ends_at: Option<i64>,
    g_revoked_at: Option<i64>,
    g_revoked_by: Option<String>,
    g_revoke_reason: Option<String>,
    g_issuer: Option<String>,
    g_claims: Option<String>,
    g_dpop_jkt: Option<String>,
}

impl From<PrefixedGrant> for GrantRow {
    fn from(g: PrefixedGrant) -> Self {
        GrantRow {
            id: g.g_id,
            client_id: g.g_client_id,
            sub: g.g_sub,
            scope: g.g_scope,
            auth_time: g.g_auth_time,
            created_at: g.g_created_at,
            chain_started_at: g.g_chain_started_at,
            chain_ends_at: g.g_chain_ends_at,
            revoked_at: g.g_revoked_at,
            revoked_by: g.g_revoked_by,
            revoke_reason: g.g_revoke_reason,
            issuer: g.g_issuer,
            claims: g.g_claims,
            dpop_jkt: g.g_dpop_jkt,
        }
    }
}

/// Which grants an impact count or a revocation is about. Never "every grant": a listing of
/// every grant passes no selector (`Option<&GrantSelector>`), and nothing revokes everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantSelector {
    Grant(String),
    /// A user's grants, optionally only with one app.
    User {
        sub: String,
        client_id: Option<String>,
    },
    App(String),
}

impl GrantSelector {
    /// The selector for these optional parts, if they name exactly one of: a grant, a user
    /// (optionally with an app), an app. `Ok(None)` when nothing is named.
    pub fn from_parts(
        grant_id: Option<String>,
        sub: Option<String>,
        client_id: Option<String>,
    ) -> std::result::Result<Option<Self>, &'static str> {
        match (grant_id, sub, client_id) {
            (None, None, None) => Ok(None),
            (Some(id), None, None) => Ok(Some(Self::Grant(id))),
            (None, Some(sub), client_id) => Ok(Some(Self::User { sub, client_id })),
            (None, None, Some(c)) => Ok(Some(Self::App(c))),
            _ => {
                Err("name one grant, or a user (optionally with an application), or an application")
            }
        }
    }

    /// The one id an audit event about these grants is filed under.
    pub fn target(&self) -> &str {
        match self {
            Self::Grant(id) => id,
            Self::User { sub, .. } => sub,
            Self::App(c) => c,
        }
    }

    /// (client id, sub, grant id): the parts this selector names.
    pub fn parts(&self) -> (Option<&str>, Option<&str>, Option<&str>) {
        match self {
            Self::Grant(id) => (None, None, Some(id)),
            Self::User { sub, client_id } => (client_id.as_deref(), Some(sub), None),
            Self::App(c) => (Some(c), None, None),
        }
    }
}

/// The WHERE condition naming only the parts that are set, so SQLite can choose the index for
/// them (an `?1 IS NULL OR ...` form would defeat it); no selector is every grant. Values are
/// always bound as ?1 client_id, ?2 sub, ?3 grant id ([`bind_parts`]); every statement using
/// this also uses ?4 or later, so the unused numbers stay in range.
fn clause(s: Option<&GrantSelector>) -> String {
    let (client_id, sub, grant_id) = s.map(GrantSelector::parts).unwrap_or_default();
    let mut parts = vec!["1 = 1"];
    if client_id.is_some() {
        parts.push("g.client_id = ?1");
    }
    if sub.is_some() {
        parts.push("g.sub = ?2");
    }
    if grant_id.is_some() {
        parts.push("g.id = ?3");
    }
    parts.join(" AND ")
}

/// Binds a selector's values to `clause`'s parameters ?1–?3 (a macro: the query's type
/// differs by database).
macro_rules! bind_parts {
    ($q:expr, $s:expr) => {{
        let (client_id, sub, grant_id) = $s.map(GrantSelector::parts).unwrap_or_default();
        $q.bind(client_id).bind(sub).bind(grant_id)
    }};
}

pub async fn insert(conn: &mut Conn, g: &GrantRow) -> Result<()> {
    Script::once(conn, |s| insert_into(s, g)).await.map(|_| ())
}

pub fn insert_into(s: &mut Script, g: &GrantRow) {
    s.statement("INSERT INTO grants (id, client_id, sub, scope, auth_time, created_at, chain_started_at, chain_ends_at, revoked_at, revoked_by, revoke_reason, issuer, claims, dpop_jkt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(g.id.clone())
        .bind(g.client_id.clone())
        .bind(g.sub.clone())
        .bind(g.scope.clone())
        .bind(g.auth_time)
        .bind(g.created_at)
        .bind(g.chain_started_at)
        .bind(g.chain_ends_at)
        .bind(g.revoked_at)
        .bind(g.revoked_by.clone())
        .bind(g.revoke_reason.clone())
        .bind(g.issuer.clone())
        .bind(g.claims.clone())
        .bind(g.dpop_jkt.clone());
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<GrantRow>> {
    get_for_decision(conn, id, false).await
}

/// [`get`], locked until the transaction ends when `lock` is true (PostgreSQL:
/// [`crate::facts::read`]).
pub(crate) async fn get_for_decision(
    conn: &mut Conn,
    id: &str,
    lock: bool,
) -> Result<Option<GrantRow>> {
    Ok(crate::on!(
        &mut *conn,
        &format!(
            "SELECT {COLUMNS} FROM grants g WHERE g.id = ?{}",
            crate::for_update(lock)
        ),
        |db, sql| sqlx::query_as(sql).bind(id).fetch_optional(&mut *db).await
    )?)
}

/// A grant with the names people know it by: its app's name and its user's username (`None`
/// once the user is deleted).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NamedGrant {
    #[sqlx(flatten)]
    pub grant: GrantRow,
    pub client_name: Option<String>,
    pub username: Option<String>,
}

/// What a listing shows beyond its selector, and in which order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listing {
    /// Only grants in this state at `now` (the rule of `authdesk_core::status::grant_status`).
    pub status: Option<GrantStatus>,
    /// Only live grants with something ending in a window (what a count or a chart bar of
    /// "ending soon" stands for).
    pub ending: Option<Ending>,
    /// The chains that end soonest first (else the newest grants first).
    pub ending_first: bool,
    /// Unix seconds the state is judged at.
    pub now: i64,
}

/// Live grants with something ending in `[from, to)` (Unix seconds), counted as
/// [`expiry_histogram`] counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    pub what: Ends,
    pub from: i64,
    pub to: i64,
}

/// What ends: a live refresh token (at its own expiry or the chain's cap, whichever is first),
/// or the chain's one-year cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    RefreshToken,
    Chain,
}

/// The named listing's query (both joins are primary-key lookups) and the values its filters
/// bind after the selector's and the page's (?6 on).
fn named_sql(s: Option<&GrantSelector>, listing: &Listing) -> (String, Vec<i64>) {
    let mut binds = Vec::new();
    let mut next = |v: i64| {
        binds.push(v);
        format!("?{}", 5 + binds.len())
    };
    let state = match listing.status {
        None => String::new(),
        Some(GrantStatus::Active) => format!(
            " AND g.revoked_at IS NULL AND (g.chain_ends_at IS NULL OR g.chain_ends_at > {})",
            next(listing.now)
        ),
        Some(GrantStatus::Revoked) => " AND g.revoked_at IS NOT NULL".to_string(),
        Some(GrantStatus::ChainEnded) => format!(
            " AND g.revoked_at IS NULL AND g.chain_ends_at <= {}",
            next(listing.now)
        ),
    };
    let ending = match listing.ending {
        None => String::new(),
        Some(Ending {
            what: Ends::Chain,
            from,
            to,
        }) => format!(
            " AND g.revoked_at IS NULL AND g.chain_ends_at >= {} AND g.chain_ends_at < {}",
            next(from),
            next(to)
        ),
        Some(Ending {
            what: Ends::RefreshToken,
            from,
            to,
        }) => format!(
            " AND g.revoked_at IS NULL AND EXISTS (SELECT 1 FROM refresh_tokens r \
             WHERE r.grant_id = g.id AND r.consumed_at IS NULL AND {TOKEN_ENDS} >= {} \
             AND {TOKEN_ENDS} < {})",
            next(from),
            next(to)
        ),
    };
    let order = if listing.ending_first {
        "CASE WHEN g.chain_ends_at IS NULL THEN 1 ELSE 0 END, g.chain_ends_at, g.id"
    } else {
        "g.created_at DESC, g.id DESC"
    };
    let sql = format!(
        "SELECT {COLUMNS}, c.name AS client_name, u.username AS username FROM grants g \
         LEFT JOIN clients c ON c.id = g.client_id LEFT JOIN users u ON u.sub = g.sub \
         WHERE {}{state}{ending} ORDER BY {order} LIMIT ?4 OFFSET ?5",
        clause(s)
    );
    (sql, binds)
}

/// When a live refresh token `r` of grant `g` stops working: its own expiry or the chain's
/// cap, whichever comes first (the listing's window and [`expiry_histogram`]).
const TOKEN_ENDS: &str =
    "CASE WHEN g.chain_ends_at < r.expires_at THEN g.chain_ends_at ELSE r.expires_at END";

/// Grants matching `s` (every grant without one) as `listing` says, a page at a time, named.
pub async fn list(
    conn: &mut Conn,
    s: Option<&GrantSelector>,
    listing: &Listing,
    limit: i64,
    offset: i64,
) -> Result<Vec<NamedGrant>> {
    let (sql, binds) = named_sql(s, listing);
    Ok(crate::on!(&mut *conn, &sql, |db, sql| {
        let mut q = bind_parts!(sqlx::query_as(sql), s).bind(limit).bind(offset);
        for v in &binds {
            q = q.bind(*v);
        }
        q.fetch_all(&mut *db).await
    })?)
}

/// One grant, named (see [`NamedGrant`]).
pub async fn get_named(conn: &mut Conn, id: &str) -> Result<Option<NamedGrant>> {
    let selector = GrantSelector::Grant(id.to_string());
    let (sql, _) = named_sql(Some(&selector), &Listing::default());
    Ok(crate::on!(&mut *conn, &sql, |db, sql| bind_parts!(
        sqlx::query_as(sql),
        Some(&selector)
    )
    .bind(1_i64)
    .bind(0_i64)
    .fetch_optional(&mut *db)
    .await)?)
}

/// The plan for `list` with this selector (the scale tests: paging must use an index).
pub async fn explain_list(
    conn: &mut Conn,
    s: Option<&GrantSelector>,
    listing: &Listing,
) -> Result<String> {
    let (sql, binds) = named_sql(s, listing);
    let lines = crate::plan!(conn, sql, |q| {
        let mut q = bind_parts!(q, s).bind(50_i64).bind(0_i64);
        for v in &binds {
            q = q.bind(*v);
        }
        q
    })?;
    Ok(lines.join("; "))
}

/// How an app is used: its grants not revoked, and when its newest grant was made (Unix
/// seconds). Both walk the `grants_client` index from the app's end.
pub async fn app_use(conn: &mut Conn, client_id: &str) -> Result<(i64, Option<i64>)> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT (SELECT COUNT(*) FROM grants WHERE client_id = ?1 AND revoked_at IS NULL),
                (SELECT MAX(created_at) FROM grants WHERE client_id = ?1)",
        |db, sql| sqlx::query_as(sql)
            .bind(client_id)
            .fetch_one(&mut *db)
            .await
    )?)
}

/// What revoking the live grants matching `f` would hit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Impact {
    #[ts(type = "number")]
    pub grants: i64,
    #[ts(type = "number")]
    pub refresh_tokens: i64,
    #[ts(type = "number")]
    pub access_tokens: i64,
}

/// Counts live grants matching `s`, with their refresh tokens still usable at `now` and access
/// tokens not yet expired. Mirrors `authdesk_core::status::{refresh_status, access_status}`
/// (`== Active`); `tests/status_sql.rs` holds the two together.
pub async fn impact(conn: &mut Conn, s: &GrantSelector, now: i64) -> Result<Impact> {
    let sql = format!(
        "SELECT
            (SELECT COUNT(*) FROM grants g WHERE {c} AND g.revoked_at IS NULL),
            (SELECT COUNT(*) FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id
               WHERE {c} AND g.revoked_at IS NULL AND r.consumed_at IS NULL
                 AND r.expires_at > ?4 AND (g.chain_ends_at IS NULL OR g.chain_ends_at > ?4)),
            (SELECT COUNT(*) FROM access_tokens a JOIN grants g ON g.id = a.grant_id
               WHERE {c} AND g.revoked_at IS NULL AND a.revoked_at IS NULL AND a.expires_at > ?4)",
        c = clause(Some(s))
    );
    let (grants, refresh_tokens, access_tokens): (i64, i64, i64) = crate::on!(
        &mut *conn,
        &sql,
        |db, sql| bind_parts!(sqlx::query_as(sql), Some(s))
            .bind(now)
            .fetch_one(&mut *db)
            .await
    )?;
    Ok(Impact {
        grants,
        refresh_tokens,
        access_tokens,
    })
}

/// Revokes every live grant matching `s`; returns how many.
pub async fn revoke(
    conn: &mut Conn,
    s: &GrantSelector,
    now: i64,
    by: &str,
    reason: &str,
) -> Result<u64> {
    let (client_id, sub, grant_id) = s.parts();
    let r = crate::on!(
        &mut *conn,
        &format!(
            "UPDATE grants AS g SET revoked_at = ?4, revoked_by = ?5, revoke_reason = ?6 WHERE {} AND g.revoked_at IS NULL",
            clause(Some(s))
        ),
        |db, sql| sqlx::query(sql)
            .bind(client_id)
            .bind(sub)
            .bind(grant_id)
            .bind(now)
            .bind(by)
            .bind(reason)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(r)
}

/// Revokes one live grant, as a write of a decision: it changes the grant's row, or none if
/// the grant was revoked already.
pub fn revoke_into(w: &mut Writes, id: &str, now: i64, by: &str, reason: &str) {
    w.changes(Key::Grant(id.to_string())).statement(
        "UPDATE grants SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(by.to_string())
    .bind(reason.to_string())
    .bind(id.to_string());
}

pub async fn start_chain(conn: &mut Conn, id: &str, started_at: i64, ends_at: i64) -> Result<()> {
    crate::on!(
        &mut *conn,
        "UPDATE grants SET chain_started_at = ?, chain_ends_at = ? WHERE id = ? AND chain_started_at IS NULL",
        |db, sql| sqlx::query(sql)
            .bind(started_at)
            .bind(ends_at)
            .bind(id)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// The histogram's tokens per day: live grants, then their live tokens.
fn histogram_tokens_sql() -> String {
    format!(
        "SELECT (ends - ?1) / 86400 AS day, COUNT(*) FROM (
            SELECT {TOKEN_ENDS} AS ends FROM grants g CROSS JOIN refresh_tokens r
            WHERE r.grant_id = g.id AND r.consumed_at IS NULL AND g.revoked_at IS NULL) AS t
         WHERE ends >= ?1 AND ends < ?2 GROUP BY day"
    )
}

/// The plan for the histogram's tokens (the scale test: grants scanned once, their live
/// tokens taken by `refresh_tokens_live`).
pub async fn explain_histogram(conn: &mut Conn) -> Result<String> {
    let lines = crate::plan!(conn, histogram_tokens_sql(), |q| q.bind(0_i64).bind(1_i64))?;
    Ok(lines.join("; "))
}

/// Per-day counts of refresh tokens and chains reaching their effective end in [from, to).
/// A token's end mirrors `authdesk_core::status::effective_expiry`; `tests/status_sql.rs` holds
/// the two together.
pub async fn expiry_histogram(conn: &mut Conn, from: i64, to: i64) -> Result<Vec<(i64, i64, i64)>> {
    // Live grants first (a scan of grants), then each one's live tokens by
    // `refresh_tokens_live`: a CROSS JOIN keeps SQLite in that order (PostgreSQL plans it as
    // it likes). Chains by `grants_chain_end`. Two queries grouped by day each, merged here:
    // cheaper than one union grouped together.
    let tokens_sql = histogram_tokens_sql();
    let tokens: Vec<(i64, i64)> = crate::on!(&mut *conn, &tokens_sql, |db, sql| {
        sqlx::query_as(sql)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *db)
            .await
    })?;
    let chains: Vec<(i64, i64)> = crate::on!(&mut *conn, "SELECT (g.chain_ends_at - ?1) / 86400 AS day, COUNT(*) FROM grants g
         WHERE g.revoked_at IS NULL AND g.chain_ends_at >= ?1 AND g.chain_ends_at < ?2 GROUP BY day", |db, sql| sqlx::query_as(sql)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *db)
    .await)?;
    let mut days: std::collections::BTreeMap<i64, (i64, i64)> = std::collections::BTreeMap::new();
    for (day, n) in tokens {
        days.entry(day).or_default().0 += n;
    }
    for (day, n) in chains {
        days.entry(day).or_default().1 += n;
    }
    Ok(days.into_iter().map(|(day, (t, c))| (day, t, c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_names_one_thing_never_everything() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(GrantSelector::from_parts(None, None, None), Ok(None));
        assert_eq!(
            GrantSelector::from_parts(s("g"), None, None),
            Ok(Some(GrantSelector::Grant("g".into())))
        );
        assert_eq!(
            GrantSelector::from_parts(None, s("alice"), s("app")),
            Ok(Some(GrantSelector::User {
                sub: "alice".into(),
                client_id: s("app")
            }))
        );
        assert_eq!(
            GrantSelector::from_parts(None, None, s("app")),
            Ok(Some(GrantSelector::App("app".into())))
        );
        for ambiguous in [
            (s("g"), s("alice"), None),
            (s("g"), None, s("app")),
            (s("g"), s("alice"), s("app")),
        ] {
            assert!(GrantSelector::from_parts(ambiguous.0, ambiguous.1, ambiguous.2).is_err());
        }
        let user = GrantSelector::User {
            sub: "alice".into(),
            client_id: s("app"),
        };
        assert_eq!(user.parts(), (Some("app"), Some("alice"), None));
        assert_eq!(user.target(), "alice");
        assert_eq!(clause(None), "1 = 1");
        assert_eq!(
            clause(Some(&user)),
            "1 = 1 AND g.client_id = ?1 AND g.sub = ?2"
        );
    }
}
