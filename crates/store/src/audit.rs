//! `audit`: every admin action and token event: who, when, what, in a hash chain.
//!
//! Each event's `hash` is SHA-256 of the previous event's hash and the event's own content
//! ([`content`]); the first event's "previous hash" is the anchor (32 zero bytes, or, once
//! pruning removed the oldest events, the hash of the last one removed). An event is written
//! unsealed with its unit of work; [`seal`] gives it its place in the chain. On SQLite the
//! writer seals each batch before its commit (one writer: no one waits). On PostgreSQL one
//! sealer at a time (`writer::sealer`, under a lease) seals what was committed, every few
//! milliseconds, so units on different rows never wait for each other's commits.
//! [`verify`] finds the first event whose hash does not follow: changed after it was written,
//! or an event before it removed. It detects edits made outside Authdesk (a SQL shell, a
//! restored backup mixed with a newer one); someone who can write the database and knows this
//! scheme can also rewrite the chain, so it is tamper-evident, not tamper-proof.

use crate::{Conn, Result, Script, settings};

/// The chain's anchor once pruning removed its start (hex).
pub const ANCHOR: &str = "audit_anchor";
const GENESIS: [u8; 32] = [0; 32];

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditRow {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// When it was committed by the wall clock (`at` follows the sandbox clock): set by
    /// [`seal`]; `None` for events older than this column.
    #[ts(type = "number | null")]
    pub recorded_at: Option<i64>,
}

/// What the audit viewer filters on: every given field must match.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter<'a> {
    /// A part of the actor, any case ("alice" finds "alice (support) at desk-7").
    pub actor: Option<&'a str>,
    /// The action, exactly.
    pub action: Option<&'a str>,
    /// The target, exactly (an app id, a grant id, a user's `sub`, a username).
    pub target: Option<&'a str>,
    /// Events at or after this time (sandbox clock, Unix seconds).
    pub from: Option<i64>,
    /// Events before this time.
    pub to: Option<i64>,
    /// A part of the actor, action, target or detail, any case.
    pub text: Option<&'a str>,
}

/// How many events a page that searches text reads at most (see [`page`]): about 35 ms on
/// SQLite and 100 ms on PostgreSQL on this project's reference machine.
pub const SCAN_WINDOW: i64 = 25_000;

/// An actor's part is resolved to the actors it names (an index per actor) when it names at
/// most this many; past it the part is searched like text.
pub const ACTORS_RESOLVED: usize = 20;

/// The distinct actors looked at to resolve a part: a registry with more (apps, operators and
/// desks together) searches the part like text.
const ACTORS_LISTED: i64 = 5_000;

/// Where a page starts: below event `before` (none: the newest), and, within a text search,
/// not below `floor` (the window a first page opened, so its count and its pages agree).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[ts(export)]
pub struct AuditCursor {
    #[ts(type = "number | null")]
    pub before: Option<i64>,
    #[ts(type = "number | null")]
    pub floor: Option<i64>,
}

/// The events a text search read for a page: from event `floor` up to its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SearchedWindow {
    #[ts(type = "number")]
    pub floor: i64,
    /// When the oldest event read happened (sandbox clock), if any was read.
    #[ts(type = "number | null")]
    pub back_to: Option<i64>,
    /// Older events remain, not searched yet.
    pub older: bool,
}

/// A page of the audit as the store reads it.
#[derive(Debug, Clone)]
pub struct AuditSlice {
    pub rows: Vec<AuditRow>,
    /// Events matching, up to [`COUNT_CAP`] + 1: all of them, or, in a text search, those in
    /// the window.
    pub matched: i64,
    /// Set when the filter searches text: what the page read.
    pub window: Option<SearchedWindow>,
}

/// A value a filter binds.
enum Bound<'a> {
    Text(&'a str),
    Int(i64),
}

/// How an actor's part is matched.
#[derive(Clone, Copy)]
enum ActorMatch<'a> {
    /// Any of these actors exactly (read by `audit_actor`).
    Among(&'a [String]),
    /// The part, read in every event (a text search).
    Part(&'a str),
}

impl<'a> AuditFilter<'a> {
    /// The `WHERE` clause of the conditions given, and their values in order from `?first`.
    /// Only what is given is written out, so the planner can take the index on `action`,
    /// `target`, `actor` or `at` (an `x IS NULL OR …` for every field would hide them).
    fn clause(
        &self,
        actor: Option<ActorMatch<'a>>,
        floor: Option<i64>,
        first: usize,
    ) -> (String, Vec<Bound<'a>>) {
        let mut binds = Vec::new();
        let mut parts = Vec::new();
        let mut next = |b: Bound<'a>| {
            binds.push(b);
            format!("?{}", first + binds.len() - 1)
        };
        match actor {
            Some(ActorMatch::Among(actors)) => {
                let list: Vec<String> = actors.iter().map(|a| next(Bound::Text(a))).collect();
                parts.push(format!("actor IN ({})", list.join(", ")));
            }
            Some(ActorMatch::Part(a)) => {
                parts.push(format!(
                    "instr(lower(actor), lower({})) > 0",
                    next(Bound::Text(a))
                ));
            }
            None => {}
        }
        let given = |s: Option<&'a str>| s.filter(|v| !v.is_empty());
        if let Some(a) = given(self.action) {
            parts.push(format!("action = {}", next(Bound::Text(a))));
        }
        if let Some(t) = given(self.target) {
            parts.push(format!("target = {}", next(Bound::Text(t))));
        }
        if let Some(f) = self.from {
            parts.push(format!("at >= {}", next(Bound::Int(f))));
        }
        if let Some(t) = self.to {
            parts.push(format!("at < {}", next(Bound::Int(t))));
        }
        if let Some(t) = given(self.text) {
            let p = next(Bound::Text(t));
            parts.push(format!(
                "instr(lower(actor || ' ' || action || ' ' || target || ' ' || detail), lower({p})) > 0"
            ));
        }
        if let Some(f) = floor {
            parts.push(format!("id >= {}", next(Bound::Int(f))));
        }
        if parts.is_empty() {
            parts.push("1 = 1".into());
        }
        (parts.join(" AND "), binds)
    }
}

/// Binds a filter's values (a macro: the query's type differs by database).
macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bound::Text(s) => q.bind(*s),
                Bound::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

/// The newest events matching `filter` below the cursor, at most `limit`, and how many match.
///
/// Exact conditions (action, target, dates, an actor's part that names at most
/// [`ACTORS_RESOLVED`] actors) read their indexes, over the whole audit. A search for text (or
/// for a part found in too many actors) cannot skip events, so a page reads at most
/// [`SCAN_WINDOW`] events below its cursor and says how far back it read
/// ([`AuditSlice::window`]); the next window is the caller's to ask for. A full-text index
/// would make it whole, but it costs every audited token event 50–200 µs (measured; see
/// docs/performance.md), and a million events cost a text search 1.4 s on SQLite and 4.2 s on
/// PostgreSQL without one.
pub async fn page(
    conn: &mut Conn,
    filter: &AuditFilter<'_>,
    cursor: AuditCursor,
    limit: i64,
) -> Result<AuditSlice> {
    let plan = Plan::make(conn, filter, cursor).await?;
    if plan.nobody() {
        return Ok(AuditSlice {
            rows: Vec::new(),
            matched: 0,
            window: None,
        });
    }
    let (sql, binds) = plan.list_sql(filter);
    let rows: Vec<AuditRow> = crate::on!(&mut *conn, &sql, |db, sql| bind_all!(
        sqlx::query_as(sql)
            .bind(cursor.before.unwrap_or(i64::MAX))
            .bind(limit),
        &binds
    )
    .fetch_all(&mut *db)
    .await)?;

    // Everything that matches was read when the page is not full and starts at the top of
    // what is counted (the newest event, or the window's start); else count.
    let whole = (rows.len() as i64) < limit && (plan.floor.is_some() || cursor.before.is_none());
    let matched = if whole {
        rows.len() as i64
    } else {
        // All of them, or a text search's window (below its top): a bound on `id` that
        // is not needed would lead SQLite to read the rowid rather than an index.
        let (clause, binds) = filter.clause(plan.actor(), plan.floor, 3);
        let below = if plan.top.is_some() {
            "AND id < ?2"
        } else {
            "AND ?2 IS NOT NULL"
        };
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM audit WHERE {clause} {below} LIMIT ?1) AS matching"
        );
        let (n,): (i64,) = crate::on!(&mut *conn, &sql, |db, sql| bind_all!(
            sqlx::query_as(sql)
                .bind(COUNT_CAP + 1)
                .bind(plan.top.unwrap_or(0)),
            &binds
        )
        .fetch_one(&mut *db)
        .await)?;
        n
    };
    let window = match plan.floor {
        Some(floor) => Some(window_at(conn, floor).await?),
        None => None,
    };
    Ok(AuditSlice {
        rows,
        matched,
        window,
    })
}

/// How a page reads: the actors a part names, and in a text search the window.
struct Plan<'a> {
    /// An actor's part given, and the actors it names when they are few enough.
    part: Option<&'a str>,
    actors: Option<Vec<String>>,
    /// Counting stops below this event (a text search counts its window; else all).
    top: Option<i64>,
    /// In a text search: the oldest event the page may read.
    floor: Option<i64>,
}

impl<'a> Plan<'a> {
    async fn make(
        conn: &mut Conn,
        filter: &AuditFilter<'a>,
        cursor: AuditCursor,
    ) -> Result<Plan<'a>> {
        let part = filter.actor.filter(|a| !a.is_empty());
        let actors = match part {
            Some(p) => actors_with(conn, p).await?,
            None => None,
        };
        let searching =
            filter.text.is_some_and(|t| !t.is_empty()) || (part.is_some() && actors.is_none());
        let (top, floor) = if searching {
            let top = match cursor.before {
                Some(b) => b,
                None => newest_id(conn).await? + 1,
            };
            (Some(top), Some(cursor.floor.unwrap_or(top - SCAN_WINDOW)))
        } else {
            (None, None)
        };
        Ok(Plan {
            part,
            actors,
            top,
            floor,
        })
    }

    fn actor(&self) -> Option<ActorMatch<'_>> {
        match (&self.actors, self.part) {
            (Some(list), _) => Some(ActorMatch::Among(list)),
            (None, Some(p)) => Some(ActorMatch::Part(p)),
            (None, None) => None,
        }
    }

    /// The part names no actor: nothing can match.
    fn nobody(&self) -> bool {
        self.actors.as_ref().is_some_and(Vec::is_empty)
    }

    /// The page's query and its filter's values (after `?1` before and `?2` limit).
    fn list_sql<'f>(&'f self, filter: &AuditFilter<'f>) -> (String, Vec<Bound<'f>>) {
        let (clause, binds) = filter.clause(self.actor(), self.floor, 3);
        let sql = format!(
            "SELECT id, at, actor, action, target, detail, recorded_at FROM audit
             WHERE {clause} AND id < ?1 ORDER BY id DESC LIMIT ?2"
        );
        (sql, binds)
    }
}

/// The newest event's id (0 when there is none).
async fn newest_id(conn: &mut Conn) -> Result<i64> {
    let sql = "SELECT COALESCE(MAX(id), 0) FROM audit";
    let (n,): (i64,) = crate::on!(&mut *conn, sql, |db, sql| sqlx::query_as(sql)
        .fetch_one(&mut *db)
        .await)?;
    Ok(n)
}

/// What a window from `floor` up reached back to, and whether older events remain.
async fn window_at(conn: &mut Conn, floor: i64) -> Result<SearchedWindow> {
    let sql = "SELECT (SELECT at FROM audit WHERE id >= ?1 ORDER BY id LIMIT 1),
                      EXISTS (SELECT 1 FROM audit WHERE id < ?1)";
    let (back_to, older): (Option<i64>, bool) = crate::on!(&mut *conn, sql, |db, sql| {
        sqlx::query_as(sql).bind(floor).fetch_one(&mut *db).await
    })?;
    Ok(SearchedWindow {
        floor,
        back_to,
        older,
    })
}

/// The actors whose name contains `part` (any case), read one index probe per distinct actor;
/// `None` when they are more than [`ACTORS_RESOLVED`] or the registry has more than
/// [`ACTORS_LISTED`] actors (then the part is searched like text).
async fn actors_with(conn: &mut Conn, part: &str) -> Result<Option<Vec<String>>> {
    // A loose scan of `audit_actor`: each step asks for the next actor after the last one.
    let sql = "WITH RECURSIVE a(actor) AS (
                   SELECT MIN(actor) FROM audit
                   UNION ALL
                   SELECT (SELECT MIN(actor) FROM audit WHERE actor > a.actor) FROM a WHERE a.actor IS NOT NULL
               )
               SELECT actor FROM a WHERE actor IS NOT NULL LIMIT ?1";
    let all: Vec<(String,)> = crate::on!(&mut *conn, sql, |db, sql| sqlx::query_as(sql)
        .bind(ACTORS_LISTED + 1)
        .fetch_all(&mut *db)
        .await)?;
    if all.len() as i64 > ACTORS_LISTED {
        return Ok(None);
    }
    // SQLite's `lower` folds ASCII only; so does this, so both ways of matching agree.
    let part = part.to_ascii_lowercase();
    let found: Vec<String> = all
        .into_iter()
        .map(|(a,)| a)
        .filter(|a| a.to_ascii_lowercase().contains(&part))
        .collect();
    Ok((found.len() <= ACTORS_RESOLVED).then_some(found))
}

/// The plan for the first page of [`page`] (the scale tests: a filter on the action, the
/// target or an actor's part reads its index, newest first, without sorting; a text search
/// reads its window of the rowid).
pub async fn explain_page(conn: &mut Conn, filter: &AuditFilter<'_>) -> Result<String> {
    let plan = Plan::make(conn, filter, AuditCursor::default()).await?;
    let (sql, binds) = plan.list_sql(filter);
    let lines = crate::plan!(conn, sql, |q| bind_all!(
        q.bind(i64::MAX).bind(50_i64),
        &binds
    ))?;
    Ok(lines.join("; "))
}

/// Counting stops here: past it the viewer says "more than 10,000" (an exact count of a
/// million events would cost a scan of them all on every page).
pub const COUNT_CAP: i64 = 10_000;

pub async fn record(
    conn: &mut Conn,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    Script::once(conn, |s| record_into(s, at, actor, action, target, detail))
        .await
        .map(|_| ())
}

pub fn record_into(
    s: &mut Script,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) {
    s.statement("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(at)
        .bind(actor.to_string())
        .bind(action.to_string())
        .bind(target.to_string())
        .bind(detail.to_string());
}

/// Newest first; `action` filters by exact action name when given.
/// What an event's hash covers besides the previous hash: its id, time, actor, action,
/// target, detail and wall-clock time (when it has one: events older than that column keep
/// the hash they were sealed with), as one JSON array (unambiguous whatever the strings
/// contain).
fn content(e: &Sealable) -> String {
    match e.recorded_at {
        None => serde_json::json!([e.id, e.at, e.actor, e.action, e.target, e.detail]),
        Some(r) => serde_json::json!([e.id, e.at, e.actor, e.action, e.target, e.detail, r]),
    }
    .to_string()
}

fn link(prev: &[u8], content: &str) -> Vec<u8> {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(prev);
    ctx.update(content.as_bytes());
    ctx.finish().as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    s.len()
        .is_multiple_of(2)
        .then(|| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

async fn anchor(conn: &mut Conn) -> Result<Vec<u8>> {
    Ok(settings::get(conn, ANCHOR)
        .await?
        .and_then(|h| unhex(&h))
        .unwrap_or_else(|| GENESIS.to_vec()))
}

#[derive(sqlx::FromRow)]
struct Sealable {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
    recorded_at: Option<i64>,
    hash: Option<Vec<u8>>,
    chain_seq: Option<i64>,
}

/// The lock (PostgreSQL, transaction-scoped) that makes sealing one sealer's turn at a time:
/// the chain's next place is read, used and committed before anyone else reads it (whatever the
/// leases say). Pruning takes it too. SQLite's single writer needs none.
pub const CHAIN_LOCK: i64 = 0x6175_6469_7400; // "audit"

/// Events one [`seal`] seals at most (a sealer behind after an outage catches up in steps).
pub const SEAL_BATCH: i64 = 5_000;

/// Seals up to [`SEAL_BATCH`] committed events not sealed yet, oldest first: gives them the
/// next places in the chain (`chain_seq`), chains each to the one before, and stamps them
/// `recorded_at` (the wall clock now, Unix seconds), which the hash covers. On PostgreSQL it
/// takes [`CHAIN_LOCK`] first, so it sees every event committed before it holds the lock.
/// Returns how many it sealed.
pub async fn seal(conn: &mut Conn, recorded_at: i64) -> Result<u64> {
    if let Conn::Postgres(_) = conn {
        conn.execute(&format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
            .await?;
    }
    let unsealed: Vec<Sealable> = crate::on!(
        &mut *conn,
        "SELECT id, at, actor, action, target, detail, recorded_at, hash, chain_seq FROM audit WHERE hash IS NULL ORDER BY id LIMIT ?",
        |db, sql| sqlx::query_as(sql)
            .bind(SEAL_BATCH)
            .fetch_all(&mut *db)
            .await
    )?;
    if unsealed.is_empty() {
        return Ok(0);
    }
    let last: Option<(i64, Vec<u8>)> = crate::on!(
        &mut *conn,
        "SELECT chain_seq, hash FROM audit WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1",
        |db, sql| sqlx::query_as(sql).fetch_optional(&mut *db).await
    )?;
    let (mut place, mut prev) = match last {
        Some((place, hash)) => (place, hash),
        None => (0, anchor(conn).await?),
    };
    let (mut ids, mut hashes, mut places) = (Vec::new(), Vec::new(), Vec::new());
    for mut r in unsealed {
        r.recorded_at = Some(recorded_at);
        place += 1;
        let hash = link(&prev, &content(&r));
        ids.push(r.id);
        places.push(place);
        prev = hash.clone();
        hashes.push(hash);
    }
    let sealed = ids.len() as u64;
    match conn {
        // One statement for the whole batch.
        Conn::Postgres(db) => {
            sqlx::query(
                "UPDATE audit SET hash = v.hash, recorded_at = $4, chain_seq = v.place
                 FROM UNNEST($1::bigint[], $2::bytea[], $3::bigint[]) AS v(id, hash, place)
                 WHERE audit.id = v.id",
            )
            .bind(&ids)
            .bind(&hashes)
            .bind(&places)
            .bind(recorded_at)
            .execute(&mut *db)
            .await?;
        }
        // A batch's own events, in SQLite's process: a statement each costs little.
        Conn::Sqlite(_) => {
            let mut updates = Vec::with_capacity(ids.len());
            for ((id, hash), place) in ids.into_iter().zip(hashes).zip(places) {
                let mut update = Script::new();
                update
                    .statement(
                        "UPDATE audit SET hash = ?, recorded_at = ?, chain_seq = ? WHERE id = ?",
                    )
                    .bind(hash)
                    .bind(recorded_at)
                    .bind(place)
                    .bind(id);
                updates.push(update);
            }
            Script::run_in_runs(conn, &updates).await?;
        }
    }
    Ok(sealed)
}

/// Whether any committed event awaits sealing (one index probe: `audit_unsealed`).
pub async fn any_unsealed(conn: &mut Conn) -> Result<bool> {
    let one: Option<i64> = crate::on!(
        &mut *conn,
        "SELECT id FROM audit WHERE hash IS NULL LIMIT 1",
        |db, sql| sqlx::query_scalar(sql).fetch_optional(&mut *db).await
    )?;
    Ok(one.is_some())
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ChainCheck {
    /// Events checked.
    #[ts(type = "number")]
    pub events: i64,
    /// The first event whose hash does not follow from the one before, if any.
    #[ts(type = "number | null")]
    pub first_bad: Option<i64>,
    /// Events committed but not sealed yet (on PostgreSQL, sealed within milliseconds while a
    /// node runs; a count that stays up means no node is sealing).
    #[ts(type = "number")]
    pub unsealed: i64,
}

/// Walks the whole chain from its anchor in chain order, a page at a time, and counts the
/// events that await sealing (they join the chain when sealed, so an event inserted behind
/// Authdesk's back is sealed like any other: the chain proves what was changed after sealing).
pub async fn verify(conn: &mut Conn) -> Result<ChainCheck> {
    let mut prev = anchor(conn).await?;
    let mut after = 0i64;
    let mut events = 0i64;
    loop {
        let page: Vec<Sealable> = crate::on!(
            &mut *conn,
            "SELECT id, at, actor, action, target, detail, recorded_at, hash, chain_seq FROM audit WHERE chain_seq > ? ORDER BY chain_seq LIMIT 1000",
            |db, sql| sqlx::query_as(sql).bind(after).fetch_all(&mut *db).await
        )?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.chain_seq.unwrap_or(i64::MAX);
        for r in page {
            events += 1;
            let expected = link(&prev, &content(&r));
            if r.hash.as_deref() != Some(expected.as_slice()) {
                return Ok(ChainCheck {
                    events,
                    first_bad: Some(r.id),
                    unsealed: count_unsealed(conn).await?,
                });
            }
            prev = expected;
        }
    }
    Ok(ChainCheck {
        events,
        first_bad: None,
        unsealed: count_unsealed(conn).await?,
    })
}

async fn count_unsealed(conn: &mut Conn) -> Result<i64> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT COUNT(*) FROM audit WHERE chain_seq IS NULL",
        |db, sql| sqlx::query_scalar(sql).fetch_one(&mut *db).await
    )?)
}

/// Removes up to `limit` of the oldest events, in order, while they are at or before
/// `before` (stopping at the first newer one, so the chain stays whole), and keeps the hash of
/// the last one removed as the anchor. Returns how many went.
pub async fn prune_oldest(conn: &mut Conn, before: i64, limit: i64) -> Result<u64> {
    if let Conn::Postgres(_) = conn {
        conn.execute(&format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
            .await?;
    }
    let rows: Vec<(i64, i64, Option<Vec<u8>>)> = crate::on!(
        &mut *conn,
        "SELECT chain_seq, at, hash FROM audit WHERE chain_seq IS NOT NULL ORDER BY chain_seq LIMIT ?",
        |db, sql| sqlx::query_as(sql).bind(limit).fetch_all(&mut *db).await
    )?;
    let mut last: Option<(i64, Vec<u8>)> = None;
    for (place, at, hash) in rows {
        match hash {
            Some(h) if at <= before => last = Some((place, h)),
            _ => break,
        }
    }
    let Some((place, hash)) = last else {
        return Ok(0);
    };
    let n = crate::on!(
        &mut *conn,
        "DELETE FROM audit WHERE chain_seq <= ?",
        |db, sql| {
            sqlx::query(sql)
                .bind(place)
                .execute(&mut *db)
                .await
                .map(|r| r.rows_affected())
        }
    )?;
    settings::set(conn, ANCHOR, &hex(&hash)).await?;
    Ok(n)
}
