//! What the console's search finds (Ctrl+K): people by the start of their user name, e-mail or
//! name (case-insensitive, on expression indexes), or by their exact `sub`; apps by a part of
//! their name or partner, or the start of their client id; grants by the start of their id.
//! Each query is bounded by `limit`; ranking is the caller's (`api::search`).

use crate::{Conn, Result};

/// The end of a prefix range: every string starting with the prefix sorts below it.
pub(crate) const PREFIX_END: &str = "\u{10FFFF}";

/// The people [`users`] finds: a prefix range per indexed expression, or the exact `sub`.
pub(crate) const USERS_MATCH: &str = "(lower(u.username) >= ?1 AND lower(u.username) < ?1 || ?2) OR (lower(json_extract(u.claims, '$.email')) >= ?1 AND lower(json_extract(u.claims, '$.email')) < ?1 || ?2) OR (lower(json_extract(u.claims, '$.name')) >= ?1 AND lower(json_extract(u.claims, '$.name')) < ?1 || ?2) OR u.sub = ?3";

/// A person found.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserHit {
    pub sub: String,
    pub username: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Grants not revoked.
    pub grants: i64,
}

/// An app found.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppHit {
    pub id: String,
    pub name: String,
    pub partner_name: Option<String>,
    pub enabled: bool,
    /// Grants not revoked.
    pub grants: i64,
}

/// People whose user name, e-mail or name starts with `term` (any case), or whose `sub` is it.
pub async fn users(conn: &mut Conn, term: &str, limit: i64) -> Result<Vec<UserHit>> {
    let lower = term.to_lowercase();
    let sql = format!(
        "SELECT u.sub, u.username, json_extract(u.claims, '$.email') AS email,
                json_extract(u.claims, '$.name') AS name,
                (SELECT COUNT(*) FROM grants g WHERE g.sub = u.sub AND g.revoked_at IS NULL) AS grants
         FROM users u WHERE {USERS_MATCH} LIMIT ?4"
    );
    Ok(crate::on!(&mut *conn, &sql, |db, sql| sqlx::query_as(sql)
        .bind(&lower)
        .bind(PREFIX_END)
        .bind(term)
        .bind(limit)
        .fetch_all(&mut *db)
        .await)?)
}

/// Apps whose name or partner holds `term` (any case), or whose client id starts with it.
/// (Apps are few: hundreds, not millions; the scan is over them alone.)
pub async fn apps(conn: &mut Conn, term: &str, limit: i64) -> Result<Vec<AppHit>> {
    let lower = term.to_lowercase();
    Ok(crate::on!(&mut *conn, "SELECT c.id, c.name, json_extract(c.settings, '$.partner_name') AS partner_name, c.enabled,
                (SELECT COUNT(*) FROM grants g WHERE g.client_id = c.id AND g.revoked_at IS NULL) AS grants
         FROM clients c
         WHERE instr(lower(c.name), ?1) > 0
            OR instr(lower(COALESCE(json_extract(c.settings, '$.partner_name'), '')), ?1) > 0
            OR (c.id >= ?1 AND c.id < ?1 || ?2)
         ORDER BY c.name
         LIMIT ?3", |db, sql| sqlx::query_as(sql)
    .bind(&lower)
    .bind(PREFIX_END)
    .bind(limit)
    .fetch_all(&mut *db)
    .await)?)
}

/// Ids of grants whose id starts with `term` (ids are lower-case UUIDs).
pub async fn grant_ids(conn: &mut Conn, term: &str, limit: i64) -> Result<Vec<String>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT id FROM grants WHERE id >= ?1 AND id < ?1 || ?2 ORDER BY id LIMIT ?3",
        |db, sql| sqlx::query_scalar(sql)
            .bind(term.to_lowercase())
            .bind(PREFIX_END)
            .bind(limit)
            .fetch_all(&mut *db)
            .await
    )?)
}

/// Whether the database compares text in code-point order, as the prefix ranges above need: a
/// PostgreSQL database created with a linguistic collation (`en_US.UTF-8`, an ICU locale)
/// orders `Z` after `a` and may ignore [`PREFIX_END`], and the search would silently miss
/// people. Checked by behaviour, not by the collation's name. SQLite always is.
pub async fn compares_by_code_point(conn: &mut Conn) -> Result<bool> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT CASE WHEN 'Z' < 'a' AND 'ada' < 'adaz' AND 'adaz' < 'ada' || ?1 \
         THEN 'yes' ELSE 'no' END",
        |db, sql| sqlx::query_scalar::<_, String>(sql)
            .bind(PREFIX_END)
            .fetch_one(&mut *db)
            .await
    )? == "yes")
}

/// The plan for [`users`] (the scale tests: every branch must use an index).
pub async fn explain_users(conn: &mut Conn) -> Result<String> {
    let sql = format!("SELECT u.sub FROM users u WHERE {USERS_MATCH}");
    let lines = crate::plan!(conn, sql, |q| q.bind("a").bind(PREFIX_END).bind("a"))?;
    Ok(lines.join("\n"))
}
