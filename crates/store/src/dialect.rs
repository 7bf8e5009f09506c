//! One set of queries for both databases. The table modules write their SQL once, in SQLite's
//! dialect; for PostgreSQL each text is translated here (once per thread, then cached), and
//! [`on!`] runs a query body against whichever connection a [`Conn`](crate::Conn) holds.
//!
//! What the translation changes, outside string literals only:
//! - parameters: `?N` becomes `$N`; a bare `?` becomes the next number (SQLite's own rule: one
//!   more than the largest number so far);
//! - `rowid` becomes `seq` (the PostgreSQL tables that are listed or pruned in insertion order
//!   have a `seq` identity column, `migrations/postgres/`);
//! - `instr(a, b)` becomes `strpos(a, b)`;
//! - `json_extract(x, '$.name')` becomes `(x::jsonb ->> 'name')`;
//! - `json(x)`, how a value is written to a column that holds JSON, becomes `(x)::jsonb`: the
//!   JSON PostgreSQL queries is stored as `jsonb` (users' claims, apps' settings), SQLite's as
//!   checked text.
//!
//! Everything else the queries use is spelled the same in both (`ON CONFLICT … DO UPDATE`,
//! `RETURNING`, `COALESCE`, `||`, `LIKE … ESCAPE`, `lower`). A query that needs more than this
//! is written portably instead (say, `CASE` rather than SQLite's two-argument `MIN`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Runs `$body` with `$c` bound to the connection inside `$conn` (`&mut Conn`) and `$q` to
/// `$sql` in that database's dialect. The body is compiled once per backend.
#[macro_export]
macro_rules! on {
    ($conn:expr, $sql:expr, |$c:ident, $q:ident| $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => {
                let $q: &str = &$sql;
                $body
            }
            $crate::Conn::Postgres($c) => {
                let translated = $crate::dialect::postgres(&$sql);
                let $q: &str = &translated;
                $body
            }
        }
    };
}

/// The statement that asks for `sql`'s query plan: `EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN`
/// on PostgreSQL (the scale tests hold the console's queries to their indexes on both).
pub fn explain(conn: &crate::Conn, sql: &str) -> String {
    match conn {
        crate::Conn::Sqlite(_) => format!("EXPLAIN QUERY PLAN {sql}"),
        crate::Conn::Postgres(_) => format!("EXPLAIN {sql}"),
    }
}

/// The plan of `$sql` with the values `$bind` gives the query `$q`, as lines: SQLite's detail
/// column, or PostgreSQL's lines of text.
#[macro_export]
macro_rules! plan {
    ($conn:expr, $sql:expr, |$q:ident| $bind:expr) => {{
        let explain = $crate::dialect::explain(&*$conn, &$sql);
        $crate::on!(&mut *$conn, &explain, |db, sql| {
            let $q = sqlx::query(sql);
            ($bind).fetch_all(&mut *db).await.and_then(|rows| {
                use sqlx::Row;
                rows.iter()
                    .map(|r| r.try_get::<String, _>(r.len() - 1))
                    .collect::<std::result::Result<Vec<String>, sqlx::Error>>()
            })
        })
    }};
}

/// Texts cached per thread at most (the store's texts are a finite set, a few hundred; past
/// this a text is translated each time rather than cached).
const MAX_CACHED: usize = 4_096;

thread_local! {
    /// Each thread's own translations: a query takes no lock shared with other threads.
    static CACHE: RefCell<HashMap<Box<str>, Arc<str>>> = RefCell::new(HashMap::new());
}

/// `sql` in PostgreSQL's dialect (cached per thread).
pub fn postgres(sql: &str) -> Arc<str> {
    CACHE.with(|cache| {
        if let Some(t) = cache.borrow().get(sql) {
            return t.clone();
        }
        let t: Arc<str> = translate(sql).into();
        let mut cache = cache.borrow_mut();
        if cache.len() < MAX_CACHED {
            cache.insert(sql.into(), t.clone());
        }
        t
    })
}

/// `sql` (SQLite's dialect) with every parameter numbered `offset` higher, and bare `?`s
/// numbered explicitly (SQLite's rule: one more than the largest so far), so several statements
/// can be joined into one without their parameters meeting.
pub fn renumbered(sql: &str, offset: usize) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut largest = 0usize;
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '?' || quoted {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < chars.len() && chars[end].is_ascii_digit() {
            end += 1;
        }
        let n = if end > start {
            chars[start..end]
                .iter()
                .collect::<String>()
                .parse::<usize>()
                .unwrap_or(0)
        } else {
            largest + 1
        };
        largest = largest.max(n);
        out.push('?');
        out.push_str(&(n + offset).to_string());
        i = end;
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The translation itself (see the module's text).
pub fn translate(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len() + 16);
    let mut largest = 0u32;
    // Parentheses open now, and the depths of those that close a `json(…)`.
    let mut depth = 0usize;
    let mut casts: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '(' {
            depth += 1;
        }
        if c == ')' {
            if casts.last() == Some(&depth) {
                casts.pop();
                out.push_str(")::jsonb");
                depth -= 1;
                i += 1;
                continue;
            }
            depth = depth.saturating_sub(1);
        }
        if c == '\'' {
            // A string literal, copied as is ('' is a quote inside it).
            let start = i;
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            out.extend(&chars[start..i]);
            continue;
        }
        if c == '?' {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && chars[end].is_ascii_digit() {
                end += 1;
            }
            let n = if end > start {
                chars[start..end]
                    .iter()
                    .collect::<String>()
                    .parse::<u32>()
                    .unwrap_or(0)
            } else {
                largest + 1
            };
            largest = largest.max(n);
            out.push('$');
            out.push_str(&n.to_string());
            i = end;
            continue;
        }
        if is_word(c) && (i == 0 || !is_word(chars[i - 1])) {
            let start = i;
            while i < chars.len() && is_word(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let call = chars.get(i) == Some(&'(');
            match word.to_ascii_lowercase().as_str() {
                "rowid" => out.push_str("seq"),
                "instr" if call => out.push_str("strpos"),
                // The parenthesis stays; its match gets the cast.
                "json" if call => casts.push(depth + 1),
                "json_extract" if call => {
                    if let Some((expr, end)) = json_extract(&chars, i) {
                        out.push_str(&expr);
                        i = end;
                    } else {
                        out.push_str(&word);
                    }
                }
                _ => out.push_str(&word),
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `json_extract(x, '$.name')` from the `(` at `open`: the PostgreSQL expression and where the
/// call ends, or `None` for a form this does not know (left as it was, and PostgreSQL will say).
fn json_extract(chars: &[char], open: usize) -> Option<(String, usize)> {
    let mut depth = 0;
    let mut comma = None;
    let mut close = None;
    let mut in_string = false;
    for (k, &c) in chars.iter().enumerate().skip(open) {
        match c {
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    close = Some(k);
                    break;
                }
            }
            ',' if !in_string && depth == 1 && comma.is_none() => comma = Some(k),
            _ => {}
        }
    }
    let (comma, close) = (comma?, close?);
    let target: String = chars[open + 1..comma].iter().collect();
    let path: String = chars[comma + 1..close].iter().collect();
    let key = path.trim().strip_prefix("'$.")?.strip_suffix('\'')?;
    if !key.chars().all(is_word) {
        return None;
    }
    Some((
        format!("(({})::jsonb ->> '{key}')", translate(target.trim())),
        close + 1,
    ))
}

#[cfg(test)]
mod tests {
    use super::{renumbered, translate};

    #[test]
    fn parameters_renumbered_for_joining_statements() {
        assert_eq!(
            renumbered("UPDATE t SET a = ?, b = ? WHERE c = ?", 3),
            "UPDATE t SET a = ?4, b = ?5 WHERE c = ?6"
        );
        assert_eq!(
            renumbered("SELECT ?2, ?1, ?, '?' FROM t WHERE x = 'it''s ?'", 10),
            "SELECT ?12, ?11, ?13, '?' FROM t WHERE x = 'it''s ?'"
        );
        assert_eq!(
            translate(&renumbered("INSERT INTO t VALUES (?, ?)", 2)),
            "INSERT INTO t VALUES ($3, $4)"
        );
    }

    #[test]
    fn translations() {
        let cases = [
            (
                "SELECT a FROM t WHERE b = ?",
                "SELECT a FROM t WHERE b = $1",
            ),
            (
                "UPDATE t SET a = ? WHERE b = ? AND c = ?",
                "UPDATE t SET a = $1 WHERE b = $2 AND c = $3",
            ),
            (
                "SELECT ?2, ?1, ? FROM t LIMIT ?1",
                "SELECT $2, $1, $3 FROM t LIMIT $1",
            ),
            ("SELECT '?', ? FROM t", "SELECT '?', $1 FROM t"),
            ("SELECT 'it''s ?' || ?", "SELECT 'it''s ?' || $1"),
            ("ORDER BY issued_at, r.rowid", "ORDER BY issued_at, r.seq"),
            (
                "SELECT rowids, myrowid FROM t",
                "SELECT rowids, myrowid FROM t",
            ),
            (
                "instr(lower(actor), lower(?1)) > 0",
                "strpos(lower(actor), lower($1)) > 0",
            ),
            (
                "lower(json_extract(u.claims, '$.email')) >= ?1",
                "lower(((u.claims)::jsonb ->> 'email')) >= $1",
            ),
            (
                "COALESCE(json_extract(c.settings, '$.partner_name'), '')",
                "COALESCE(((c.settings)::jsonb ->> 'partner_name'), '')",
            ),
            ("LIKE ?1 ESCAPE '\\'", "LIKE $1 ESCAPE '\\'"),
            (
                "UPDATE users SET claims = json(?), updated_at = ?",
                "UPDATE users SET claims = ($1)::jsonb, updated_at = $2",
            ),
            (
                "VALUES (?, lower(?), json(?), ?)",
                "VALUES ($1, lower($2), ($3)::jsonb, $4)",
            ),
            ("SELECT json_valid(x)", "SELECT json_valid(x)"),
        ];
        for (sqlite, postgres) in cases {
            assert_eq!(translate(sqlite), postgres, "{sqlite}");
        }
    }
}
