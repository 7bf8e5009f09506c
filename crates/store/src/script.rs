//! Several statements sent to SQLite's thread in one round trip. sqlx runs each SQLite
//! connection on a thread of its own, so every statement costs two thread switches (and, on a
//! core busy signing, the preemptions that come with them); a unit of work that records a
//! refresh (a use, a new token, an access token, an audit event) pays them once this way, and
//! the writer sends the scripts of many appending units (`Store::append`) together. The table
//! modules add their statements (`*_into`); a statement's values are bound in order to its
//! anonymous `?` parameters.

use crate::{Conn, Result, StoreError};
use sqlx::Arguments;
use sqlx::sqlite::SqliteArguments;

/// A value bound to a `?`.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(v.into())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Script {
    sql: String,
    values: Vec<Value>,
    statements: u64,
}

impl Script {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a statement; its values follow with [`Script::bind`], in order.
    pub(crate) fn statement(&mut self, sql: &str) -> &mut Self {
        if !self.sql.is_empty() {
            self.sql.push_str(";\n");
        }
        self.sql.push_str(sql);
        self.statements += 1;
        self
    }

    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        self
    }

    /// Appends another script's statements after this one's.
    pub(crate) fn extend(&mut self, other: &Script) {
        if other.is_empty() {
            return;
        }
        if !self.sql.is_empty() {
            self.sql.push_str(";\n");
        }
        self.sql.push_str(&other.sql);
        self.values.extend(other.values.iter().cloned());
        self.statements += other.statements;
    }

    /// How many statements it holds.
    pub fn len(&self) -> u64 {
        self.statements
    }

    pub fn is_empty(&self) -> bool {
        self.statements == 0
    }

    /// Builds a script with `add` and runs it: the single-statement form of a table module's
    /// `*_into` function.
    pub async fn once(conn: &mut Conn, add: impl FnOnce(&mut Script)) -> Result<u64> {
        let mut s = Script::new();
        add(&mut s);
        s.run(conn).await
    }

    /// Runs `scripts` in order, sent in runs of 8, 4, 2 or 1 scripts: scripts that repeat one
    /// text then make a handful of combined texts, whose statements SQLite prepares once and
    /// sqlx keeps cached. Returns how many rows they changed in all.
    pub(crate) async fn run_in_runs(conn: &mut Conn, scripts: &[Script]) -> Result<u64> {
        let mut rest = scripts;
        let mut changed = 0;
        while !rest.is_empty() {
            let size = 1 << rest.len().min(8).ilog2();
            let mut combined = Script::new();
            for s in &rest[..size] {
                combined.extend(s);
            }
            rest = &rest[size..];
            changed += combined.run(conn).await?;
        }
        Ok(changed)
    }

    /// Runs the statements in order and returns how many rows they changed in all.
    pub async fn run(self, conn: &mut Conn) -> Result<u64> {
        if self.sql.is_empty() {
            return Ok(0);
        }
        let mut args = SqliteArguments::default();
        for v in self.values {
            let added = match v {
                Value::Null => args.add(Option::<i64>::None),
                Value::Int(i) => args.add(i),
                Value::Text(t) => args.add(t),
                Value::Blob(b) => args.add(b),
            };
            added.map_err(|e| StoreError::Internal(format!("a value could not be bound: {e}")))?;
        }
        let r = sqlx::query_with(&self.sql, args).execute(conn).await?;
        Ok(r.rows_affected())
    }
}
