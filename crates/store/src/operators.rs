//! `operators`: who uses the console and the CLI on this registry, with a role
//! (`authdesk_core::roles`). Found by the key of their name (`authdesk_core::names`), so `Alice`
//! and `alice` are one operator.

use crate::facts::{Key, Writes};
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

const INSERT: &str = "INSERT INTO operators (username, username_key, display_name, role, password_hash, disabled_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

/// [`insert`], as a write of a decision: it changes the set of operators.
pub fn insert_into(w: &mut Writes, o: &OperatorRow) {
    w.changes(Key::Operators)
        .statement(INSERT)
        .bind(o.username.clone())
        .bind(key_of(&o.username))
        .bind(o.display_name.clone())
        .bind(o.role.as_str().to_string())
        .bind(o.password_hash.clone())
        .bind(o.disabled_at)
        .bind(o.created_at)
        .bind(o.updated_at);
}

pub async fn insert(conn: &mut Conn, o: &OperatorRow) -> Result<()> {
    crate::on!(&mut *conn, INSERT, |db, sql| sqlx::query(sql)
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
        .map(|r| r.rows_affected()))?;
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

/// What can change of an operator (each `None` stays).
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    /// `Some(Some(t))` disables at `t`, `Some(None)` enables.
    pub disabled_at: Option<Option<i64>>,
}

impl Change {
    /// `o` with this change applied at `now`.
    pub fn applied(&self, o: &OperatorRow, now: i64) -> OperatorRow {
        let mut after = o.clone();
        if let Some(role) = self.role {
            after.role = role;
        }
        if let Some(hash) = &self.password_hash {
            after.password_hash.clone_from(hash);
        }
        if let Some(disabled) = self.disabled_at {
            after.disabled_at = disabled;
        }
        after.updated_at = now;
        after
    }
}

/// Stores `after` over the operator of its name, as a write of a decision.
pub fn update_into(w: &mut Writes, after: &OperatorRow) {
    w.changes(Key::Operators)
        .statement("UPDATE operators SET role = ?, password_hash = ?, disabled_at = ?, updated_at = ? WHERE username_key = ?")
        .bind(after.role.as_str().to_string())
        .bind(after.password_hash.clone())
        .bind(after.disabled_at)
        .bind(after.updated_at)
        .bind(key_of(&after.username));
}
