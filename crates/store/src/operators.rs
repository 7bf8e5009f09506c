//! `operators`: who uses the console and the CLI on this registry, with a role
//! (`authdesk_core::roles`). Found by the key of their name (`authdesk_core::names`), so `Alice`
//! and `alice` are one operator.

use crate::{Conn, Result};
use authdesk_core::names::key_of;
use authdesk_core::roles::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRow {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Raw {
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    disabled_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Raw> for OperatorRow {
    type Error = crate::StoreError;
    fn try_from(r: Raw) -> Result<Self> {
        Ok(OperatorRow {
            role: Role::parse(&r.role)
                .map_err(|e| crate::StoreError::Corrupt(format!("operator {}: {e}", r.username)))?,
            username: r.username,
            display_name: r.display_name,
            password_hash: r.password_hash,
            disabled_at: r.disabled_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str =
    "username, display_name, role, password_hash, disabled_at, created_at, updated_at";

pub async fn insert(conn: &mut Conn, o: &OperatorRow) -> Result<()> {
    crate::on!(
        &mut *conn,
        "INSERT INTO operators (username, username_key, display_name, role, password_hash, disabled_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        |db, sql| sqlx::query(sql)
            .bind(&o.username)
            .bind(key_of(&o.username))
            .bind(&o.display_name)
            .bind(o.role.as_str())
            .bind(&o.password_hash)
            .bind(o.disabled_at)
            .bind(o.created_at)
            .bind(o.updated_at)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// The operator whose name reads as `username`.
pub async fn get(conn: &mut Conn, username: &str) -> Result<Option<OperatorRow>> {
    let raw: Option<Raw> = crate::on!(
        &mut *conn,
        &format!("SELECT {COLUMNS} FROM operators WHERE username_key = ?"),
        |db, sql| sqlx::query_as(sql)
            .bind(key_of(username))
            .fetch_optional(&mut *db)
            .await
    )?;
    raw.map(OperatorRow::try_from).transpose()
}

/// Every operator, by name.
pub async fn list(conn: &mut Conn) -> Result<Vec<OperatorRow>> {
    let raws: Vec<Raw> = crate::on!(
        &mut *conn,
        &format!("SELECT {COLUMNS} FROM operators ORDER BY username_key"),
        |db, sql| sqlx::query_as(sql).fetch_all(&mut *db).await
    )?;
    raws.into_iter().map(OperatorRow::try_from).collect()
}

/// How many operators may sign in as admins (enabled, role admin).
pub async fn enabled_admins(conn: &mut Conn) -> Result<i64> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT COUNT(*) FROM operators WHERE role = 'admin' AND disabled_at IS NULL",
        |db, sql| sqlx::query_scalar(sql).fetch_one(&mut *db).await
    )?)
}

/// What can change of an operator (each `None` stays).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    /// `Some(Some(t))` disables at `t`, `Some(None)` enables.
    pub disabled_at: Option<Option<i64>>,
}

/// Applies `change` to the operator named `username`; false if there is none.
pub async fn update(conn: &mut Conn, username: &str, change: &Change, now: i64) -> Result<bool> {
    let Some(mut o) = get(conn, username).await? else {
        return Ok(false);
    };
    if let Some(role) = change.role {
        o.role = role;
    }
    if let Some(hash) = &change.password_hash {
        o.password_hash.clone_from(hash);
    }
    if let Some(disabled) = change.disabled_at {
        o.disabled_at = disabled;
    }
    let n = crate::on!(
        &mut *conn,
        "UPDATE operators SET role = ?, password_hash = ?, disabled_at = ?, updated_at = ? WHERE username_key = ?",
        |db, sql| sqlx::query(sql)
            .bind(o.role.as_str())
            .bind(&o.password_hash)
            .bind(o.disabled_at)
            .bind(now)
            .bind(key_of(username))
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(n == 1)
}
