//! Several statements sent to SQLite's thread in one round trip. sqlx runs each SQLite
//! connection on a thread of its own, so every statement costs two thread switches (and, on a
//! core busy signing, the preemptions that come with them); a unit of work that records a
//! refresh (a use, a new token, an access token, an audit event) pays them once this way, and
//! the writer sends the scripts of many appending units (`Store::append`) together. The table
//! modules add their statements (`*_into`); a statement's values are bound in order to its
//! anonymous `?` parameters.

use crate::{Conn, Result, StoreError};
use sqlx::Arguments;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;

/// A value bound to a `?`. A NULL keeps its column's type: PostgreSQL prepares a statement
/// with the types of its first values, and later values must match them.
#[derive(Debug, Clone)]
pub enum Value {
    Null(Kind),
    Int(i64),
    Bool(bool),
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
        Value::Bool(v)
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
/// The type of a bound value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Bool,
    Text,
    Blob,
}

/// What a NULL of this Rust type is.
pub trait Typed {
    const KIND: Kind;
}
impl Typed for i64 {
    const KIND: Kind = Kind::Int;
}
impl Typed for bool {
    const KIND: Kind = Kind::Bool;
}
impl Typed for String {
    const KIND: Kind = Kind::Text;
}
impl Typed for Vec<u8> {
    const KIND: Kind = Kind::Blob;
}

impl<T: Into<Value> + Typed> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null(T::KIND), Into::into)
    }
}

/// Statements PostgreSQL takes as one ([`Script::run`]); past this, one at a time.
pub const COMBINED_MAX: usize = 16;

#[derive(Debug, Clone, Default)]
pub struct Script {
    sql: String,
    values: Vec<Value>,
    /// Where each statement starts in `sql` and in `values` (PostgreSQL takes them one by one).
    starts: Vec<(usize, usize)>,
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
        self.starts.push((self.sql.len(), self.values.len()));
        self.sql.push_str(sql);
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
        let (sql_at, values_at) = (self.sql.len(), self.values.len());
        self.starts.extend(
            other
                .starts
                .iter()
                .map(|(s, v)| (s + sql_at, v + values_at)),
        );
        self.sql.push_str(&other.sql);
        self.values.extend(other.values.iter().cloned());
    }

    /// How many statements it holds.
    pub fn len(&self) -> u64 {
        self.starts.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Each statement's text and values.
    fn statements(&self) -> impl Iterator<Item = (&str, &[Value])> {
        self.starts
            .iter()
            .enumerate()
            .map(|(i, &(sql_at, values_at))| {
                let (sql_end, values_end) = match self.starts.get(i + 1) {
                    // the next statement starts after ";\n"
                    Some(&(next_sql, next_values)) => (next_sql - 2, next_values),
                    None => (self.sql.len(), self.values.len()),
                };
                (
                    &self.sql[sql_at..sql_end],
                    &self.values[values_at..values_end],
                )
            })
    }

    /// The statements as one (PostgreSQL): `WITH s0 AS (… RETURNING 1), s1 AS (…) SELECT` the
    /// rows each changed, added up; each statement's parameters numbered after the ones before.
    /// The sub-statements run on one snapshot and cannot see each other's rows, which the
    /// store's scripts never need (inserts and updates of different rows; a foreign key to a
    /// row inserted beside it is checked at the statement's end, when it is there).
    fn combined(&self) -> String {
        let mut with = Vec::new();
        let mut sum = Vec::new();
        let mut offset = 0;
        for (i, (sql, values)) in self.statements().enumerate() {
            with.push(format!(
                "s{i} AS ({} RETURNING 1)",
                crate::dialect::renumbered(sql, offset)
            ));
            sum.push(format!("(SELECT COUNT(*) FROM s{i})"));
            offset += values.len();
        }
        format!("WITH {} SELECT {}", with.join(", "), sum.join(" + "))
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

    /// Runs the statements in order and returns how many rows they changed in all, in one round
    /// trip: SQLite takes them as they are; PostgreSQL as one statement (up to
    /// [`COMBINED_MAX`] of them; a longer script, such as a copy's, one at a time).
    pub async fn run(self, conn: &mut Conn) -> Result<u64> {
        if self.sql.is_empty() {
            return Ok(0);
        }
        let unbindable = |e: sqlx::error::BoxDynError| {
            StoreError::Internal(format!("a value could not be bound: {e}"))
        };
        match conn {
            Conn::Sqlite(db) => {
                let mut args = SqliteArguments::default();
                for v in self.values {
                    match v {
                        Value::Null(_) => args.add(Option::<i64>::None),
                        Value::Int(i) => args.add(i),
                        Value::Bool(b) => args.add(b),
                        Value::Text(t) => args.add(t),
                        Value::Blob(b) => args.add(b),
                    }
                    .map_err(unbindable)?;
                }
                let r = sqlx::query_with(&self.sql, args).execute(&mut *db).await?;
                Ok(r.rows_affected())
            }
            Conn::Postgres(db) => {
                let pg_args = |values: &[Value]| -> Result<PgArguments> {
                    let mut args = PgArguments::default();
                    for v in values {
                        match v {
                            Value::Null(Kind::Int) => args.add(Option::<i64>::None),
                            Value::Null(Kind::Bool) => args.add(Option::<bool>::None),
                            Value::Null(Kind::Text) => args.add(Option::<&str>::None),
                            Value::Null(Kind::Blob) => args.add(Option::<&[u8]>::None),
                            Value::Int(i) => args.add(*i),
                            Value::Bool(b) => args.add(*b),
                            Value::Text(t) => args.add(t.as_str()),
                            Value::Blob(b) => args.add(b.as_slice()),
                        }
                        .map_err(unbindable)?;
                    }
                    Ok(args)
                };
                if (2..=COMBINED_MAX).contains(&self.starts.len()) {
                    // One round trip: the statements as one data-modifying WITH.
                    let sql = crate::dialect::postgres(&self.combined());
                    let (changed,): (i64,) = sqlx::query_as_with(&sql, pg_args(&self.values)?)
                        .fetch_one(&mut *db)
                        .await?;
                    return Ok(changed.max(0) as u64);
                }
                let mut changed = 0;
                for (sql, values) in self.statements() {
                    let sql = crate::dialect::postgres(sql);
                    changed += sqlx::query_with(&sql, pg_args(values)?)
                        .execute(&mut *db)
                        .await?
                        .rows_affected();
                }
                Ok(changed)
            }
        }
    }
}
