//! `authdesk migrate --to postgres://…`: a SQLite data directory copied into an empty
//! PostgreSQL database, every table, in one PostgreSQL transaction, from one consistent read of
//! the source; committed only if every table's row count matches.

use crate::script::{Kind, Value};
use crate::{Conn, Result, Script, StoreError};
use sqlx::Row;

/// The tables, parents before children (foreign keys hold at every insert).
const TABLES: [&str; 16] = [
    "settings",
    "clients",
    "users",
    "operators",
    "signing_keys",
    "sessions",
    "interactions",
    "consents",
    "grants",
    "authorization_codes",
    "refresh_tokens",
    "access_tokens",
    "client_assertions",
    "pushed_requests",
    "login_failures",
    "audit",
];

/// Columns that are flags: SQLite stores them as integers, PostgreSQL as booleans.
const FLAGS: [(&str, &str); 1] = [("clients", "enabled")];

/// Columns that hold JSON PostgreSQL queries: text in SQLite, `jsonb` in PostgreSQL.
const JSON: [(&str, &str); 2] = [("users", "claims"), ("clients", "settings")];

/// How many rows each table holds, in [`TABLES`] order.
pub async fn counts(conn: &mut Conn) -> Result<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = crate::on!(&mut *conn, sql, |db, sql| sqlx::query_scalar(sql)
            .fetch_one(&mut *db)
            .await)?;
        out.push((table, n));
    }
    Ok(out)
}

/// A table's columns in the source (SQLite): name and the kind of value it holds.
async fn columns(source: &mut sqlx::SqliteConnection, table: &str) -> Result<Vec<(String, Kind)>> {
    let rows = sqlx::query(&format!("PRAGMA table_info({table})"))
        .fetch_all(&mut *source)
        .await?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("name")?;
            let declared: String = r.try_get("type")?;
            let kind = if FLAGS.contains(&(table, name.as_str())) {
                Kind::Bool
            } else {
                match declared.to_ascii_uppercase().as_str() {
                    "INTEGER" => Kind::Int,
                    "BLOB" => Kind::Blob,
                    _ => Kind::Text,
                }
            };
            Ok((name, kind))
        })
        .collect()
}

fn value(row: &sqlx::sqlite::SqliteRow, i: usize, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::Int => row.try_get::<Option<i64>, _>(i)?.into(),
        Kind::Bool => row.try_get::<Option<bool>, _>(i)?.into(),
        Kind::Text => row.try_get::<Option<String>, _>(i)?.into(),
        Kind::Blob => row.try_get::<Option<Vec<u8>>, _>(i)?.into(),
    })
}

/// Copies everything `source` (a SQLite connection, inside a read transaction the caller
/// opened) holds into `target` (PostgreSQL, schema up to date, empty). Returns the counts.
pub async fn sqlite_to_postgres(
    source: &mut Conn,
    target: &mut Conn,
) -> Result<Vec<(&'static str, i64)>> {
    let expected = counts(source).await?;
    if counts(target).await?.iter().any(|(_, n)| *n > 0) {
        return Err(StoreError::Unusable(
            "the PostgreSQL database already holds a registry: migrate copies into an empty one"
                .into(),
        ));
    }
    let Conn::Sqlite(src) = source else {
        return Err(StoreError::Internal("the source is not SQLite".into()));
    };
    target.execute("BEGIN").await?;
    let copied = async {
        for table in TABLES {
            let cols = columns(src, table).await?;
            let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
            let select = format!("SELECT {} FROM {table} ORDER BY rowid", names.join(", "));
            let insert = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                names
                    .iter()
                    .map(|n| if JSON.contains(&(table, *n)) { "json(?)" } else { "?" })
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let rows = sqlx::query(&select).fetch_all(&mut *src).await?;
            for chunk in rows.chunks(500) {
                let mut script = Script::new();
                for row in chunk {
                    let s = script.statement(&insert);
                    for (i, (_, kind)) in cols.iter().enumerate() {
                        s.bind(value(row, i, *kind)?);
                    }
                }
                script.run(target).await?;
            }
        }
        // Ids given explicitly: the audit's own counter continues after them.
        target
            .execute("SELECT setval(pg_get_serial_sequence('audit', 'id'), GREATEST((SELECT MAX(id) FROM audit), 1))")
            .await?;
        let got = counts(target).await?;
        if got != expected {
            return Err(StoreError::Internal(format!(
                "the copy's counts differ from the source's: {got:?} against {expected:?}"
            )));
        }
        Ok(got)
    }
    .await;
    match copied {
        Ok(got) => {
            target.execute("COMMIT").await?;
            Ok(got)
        }
        Err(e) => {
            let _ = target.execute("ROLLBACK").await;
            Err(e)
        }
    }
}
