//! `users`: the sandbox user directory.

use crate::{Conn, Result, Script, json, to_json};
use authdesk_core::names::key_of;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub sub: String,
    pub username: String,
    pub password_hash: String,
    pub claims: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Raw {
    sub: String,
    username: String,
    password_hash: String,
    claims: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Raw> for UserRow {
    type Error = crate::StoreError;
    fn try_from(r: Raw) -> Result<Self> {
        Ok(UserRow {
            claims: json("user claims", &r.claims)?,
            sub: r.sub,
            username: r.username,
            password_hash: r.password_hash,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str =
    "sub, username, password_hash, CAST(claims AS TEXT) AS claims, created_at, updated_at";

pub async fn insert(conn: &mut Conn, u: &UserRow) -> Result<()> {
    Script::once(conn, |s| insert_into(s, u)).await.map(|_| ())
}

/// Adds a user; the user name's key (`authdesk_core::names::key_of`) is stored beside it and
/// is unique, so names that read the same cannot be two people.
pub fn insert_into(s: &mut Script, u: &UserRow) {
    s.statement("INSERT INTO users (sub, username, username_key, password_hash, claims, created_at, updated_at) VALUES (?, ?, ?, ?, json(?), ?, ?)")
        .bind(u.sub.clone())
        .bind(u.username.clone())
        .bind(key_of(&u.username))
        .bind(u.password_hash.clone())
        .bind(to_json(&u.claims))
        .bind(u.created_at)
        .bind(u.updated_at);
}

pub async fn get(conn: &mut Conn, sub: &str) -> Result<Option<UserRow>> {
    get_for_decision(conn, sub, false).await
}

/// [`get`], locked until the transaction ends when `lock` is true (PostgreSQL:
/// [`crate::facts::read`]).
pub(crate) async fn get_for_decision(
    conn: &mut Conn,
    sub: &str,
    lock: bool,
) -> Result<Option<UserRow>> {
    let raw: Option<Raw> = crate::on!(
        &mut *conn,
        &format!(
            "SELECT {COLUMNS} FROM users WHERE sub = ?{}",
            crate::for_update(lock)
        ),
        |db, sql| sqlx::query_as(sql).bind(sub).fetch_optional(&mut *db).await
    )?;
    raw.map(UserRow::try_from).transpose()
}

/// The user whose name reads as `username` (by key: `Ada`, `ADA` and `ａｄａ` find `ada`).
pub async fn by_username(conn: &mut Conn, username: &str) -> Result<Option<UserRow>> {
    let raw: Option<Raw> = crate::on!(
        &mut *conn,
        &format!("SELECT {COLUMNS} FROM users WHERE username_key = ?"),
        |db, sql| sqlx::query_as(sql)
            .bind(key_of(username))
            .fetch_optional(&mut *db)
            .await
    )?;
    raw.map(UserRow::try_from).transpose()
}

/// Gives every user stored before name keys existed their key. Two names that read the same
/// both stay (nobody is lost): the later one's key is marked with its `sub`, so it stays
/// unique, and it is returned — (its name, the name it reads like) — for someone to rename.
pub async fn backfill_keys(conn: &mut Conn) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String)> = crate::on!(
        &mut *conn,
        "SELECT sub, username FROM users WHERE username_key IS NULL ORDER BY created_at, sub",
        |db, sql| sqlx::query_as(sql).fetch_all(&mut *db).await
    )?;
    let mut collisions = Vec::new();
    for (sub, username) in rows {
        let key = key_of(&username);
        let taken: Option<String> = crate::on!(
            &mut *conn,
            "SELECT username FROM users WHERE username_key = ?",
            |db, sql| sqlx::query_scalar(sql)
                .bind(&key)
                .fetch_optional(&mut *db)
                .await
        )?;
        let key = match taken {
            None => key,
            Some(first) => {
                collisions.push((username.clone(), first));
                format!("{key}\u{1}{sub}")
            }
        };
        crate::on!(
            &mut *conn,
            "UPDATE users SET username_key = ? WHERE sub = ?",
            |db, sql| sqlx::query(sql)
                .bind(&key)
                .bind(&sub)
                .execute(&mut *db)
                .await
                .map(|r| r.rows_affected())
        )?;
    }
    Ok(collisions)
}

/// People whose user name, e-mail or name starts with `term` (any case) or whose `sub` is it,
/// as the console's search matches them, by user name, a page at a time.
pub async fn list_matching(
    conn: &mut Conn,
    term: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<UserRow>> {
    use crate::search::{PREFIX_END, USERS_MATCH};
    let sql = format!(
        "SELECT {COLUMNS} FROM users u WHERE {USERS_MATCH} ORDER BY u.username LIMIT ?4 OFFSET ?5"
    );
    let raws: Vec<Raw> = crate::on!(&mut *conn, &sql, |db, sql| sqlx::query_as(sql)
        .bind(term.to_lowercase())
        .bind(PREFIX_END)
        .bind(term)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *db)
        .await)?;
    raws.into_iter().map(UserRow::try_from).collect()
}

pub async fn list(conn: &mut Conn, limit: i64, offset: i64) -> Result<Vec<UserRow>> {
    let raws: Vec<Raw> = crate::on!(
        &mut *conn,
        &format!("SELECT {COLUMNS} FROM users ORDER BY username LIMIT ? OFFSET ?"),
        |db, sql| sqlx::query_as(sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *db)
            .await
    )?;
    raws.into_iter().map(UserRow::try_from).collect()
}

pub async fn set_claims(
    conn: &mut Conn,
    sub: &str,
    claims: &Map<String, Value>,
    now: i64,
) -> Result<bool> {
    let r = crate::on!(
        &mut *conn,
        "UPDATE users SET claims = json(?), updated_at = ? WHERE sub = ?",
        |db, sql| sqlx::query(sql)
            .bind(to_json(claims))
            .bind(now)
            .bind(sub)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(r == 1)
}

pub async fn delete(conn: &mut Conn, sub: &str) -> Result<bool> {
    let r = crate::on!(&mut *conn, "DELETE FROM users WHERE sub = ?", |db, sql| {
        sqlx::query(sql)
            .bind(sub)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(r == 1)
}
