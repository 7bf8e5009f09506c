//! Authdesk persistence: the only crate that contains SQL.
//!
//! One module per table, each a set of plain functions over a connection (`&mut Conn`), so a use
//! case can run several of them as one unit of work. Reads use a small pool of read-only
//! connections (WAL: they never wait for a writer). Every write goes through [`Store::write`]:
//! one writer task owns the write connection, runs concurrent units of work in one transaction
//! (group commit, `synchronous=FULL`), and answers each only after the commit (see `writer`).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod access_tokens;
pub mod assertions;
pub mod audit;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod copy;
pub mod dialect;
pub mod facts;
pub mod files;
pub mod grants;
pub mod interactions;
pub mod keys;
pub mod leases;
pub mod login_failures;
pub mod operators;
pub mod overview;
pub mod prune;
pub mod pushed;
mod reads;
pub mod refresh_tokens;
pub mod script;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod turnstile;
pub mod users;
mod writer;

pub use futures_util::future::BoxFuture;
pub use reads::ReadConn;
pub use script::Script;
pub use turnstile::Role;
pub use writer::Limits;
pub use writer::sealer;

use authdesk_core::clock::{Clock, SystemClock};
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A connection to the database, of either kind. The table modules run their queries on it
/// through [`on!`], which compiles each query body for both.
#[derive(Debug)]
pub enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// ` FOR UPDATE` when a read must lock its rows until the transaction ends, else nothing.
pub(crate) fn for_update(lock: bool) -> &'static str {
    if lock { " FOR UPDATE" } else { "" }
}

/// How to open a connection of either kind.
#[derive(Debug, Clone)]
pub(crate) enum Connector {
    Sqlite(SqliteConnectOptions),
    Postgres(sqlx::postgres::PgConnectOptions),
}

impl Connector {
    pub(crate) async fn connect(&self) -> std::result::Result<Conn, sqlx::Error> {
        Ok(match self {
            Connector::Sqlite(o) => Conn::Sqlite(o.connect().await?),
            Connector::Postgres(o) => Conn::Postgres(o.connect().await?),
        })
    }
}

impl Conn {
    /// Runs one statement without parameters (the writer's own `BEGIN`, `SAVEPOINT`, ...).
    pub async fn execute(&mut self, sql: &str) -> std::result::Result<u64, sqlx::Error> {
        on!(self, sql, |db, q| sqlx::query(q)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected()))
    }

    /// The SQLite connection inside, for what only SQLite has (pragmas, `VACUUM INTO`).
    pub fn as_sqlite(&mut self) -> Option<&mut sqlx::SqliteConnection> {
        match self {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }

    /// Closes the connection.
    pub async fn close(self) -> std::result::Result<(), sqlx::Error> {
        use sqlx::Connection;
        match self {
            Conn::Sqlite(c) => c.close().await,
            Conn::Postgres(c) => c.close().await,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// The write (or read) could not start in time: too many are waiting, or another process
    /// holds the database's write lock. Nothing was written; try again shortly.
    #[error("the database is busy: {0}")]
    Busy(String),
    /// The storage cannot take writes now (disk full, I/O error, read-only file). Nothing of
    /// the failed work was written; service resumes once the cause is gone.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The data directory cannot be used at all (found at start): says why and what to do.
    #[error("{0}")]
    Unusable(String),
    /// A unit's writes changed fewer rows than they named: a conditional write lost to what
    /// was stored already (a one-time value used before). Nothing of the unit was written.
    #[error("a write found its row taken: {0}")]
    Missed(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// SQLite's primary result codes that mean "not now" or "the storage is failing".
const SQLITE_READONLY: i32 = 8;
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_NOTADB: i32 = 26;

fn sqlite_code(e: &sqlx::Error) -> Option<i32> {
    match e {
        sqlx::Error::Database(d) if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
            d.code()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff)
        }
        _ => None,
    }
}

/// PostgreSQL's SQLSTATE, for errors from PostgreSQL.
fn postgres_state(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .map(|p| p.code().to_string()),
        _ => None,
    }
}

impl StoreError {
    /// Classifies a driver error without taking it.
    pub(crate) fn from_sqlx_ref(e: &sqlx::Error) -> StoreError {
        let msg = || match e {
            sqlx::Error::Database(d) => d.message().to_string(),
            other => other.to_string(),
        };
        if let Some(state) = postgres_state(e) {
            match state.as_str() {
                // serialization failure, deadlock, lock not available, too many connections
                "40001" | "40P01" | "55P03" | "53300" | "57014" => {
                    return StoreError::Busy(format!(
                        "the database could not take the write now ({})",
                        msg()
                    ));
                }
                // disk full, out of memory, read-only transaction, shutting down
                "53100" | "53200" | "25006" | "57P01" | "57P02" | "57P03" => {
                    return StoreError::Unavailable(msg());
                }
                s if s.starts_with("08") => return StoreError::Unavailable(msg()),
                s if s.starts_with("XX") => {
                    return StoreError::Unavailable(format!(
                        "the database reports damage ({})",
                        msg()
                    ));
                }
                _ => {}
            }
        }
        match (sqlite_code(e), e) {
            (Some(SQLITE_BUSY | SQLITE_LOCKED), _) => {
                StoreError::Busy("another connection holds the database's write lock".into())
            }
            (Some(SQLITE_FULL), _) => StoreError::Unavailable(format!(
                "the disk is full or the database reached its size limit ({})",
                msg()
            )),
            (Some(SQLITE_IOERR), _) => {
                StoreError::Unavailable(format!("disk I/O error ({})", msg()))
            }
            (Some(SQLITE_READONLY), _) => {
                StoreError::Unavailable(format!("the database is read-only ({})", msg()))
            }
            (Some(SQLITE_CANTOPEN), _) => {
                StoreError::Unavailable(format!("cannot open the database file ({})", msg()))
            }
            (Some(SQLITE_CORRUPT | SQLITE_NOTADB), _) => {
                StoreError::Unavailable(format!("the database file is damaged ({})", msg()))
            }
            (_, sqlx::Error::PoolTimedOut) => {
                StoreError::Busy("no database connection became free in time".into())
            }
            (_, sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed | sqlx::Error::PoolClosed) => {
                StoreError::Unavailable(msg())
            }
            _ => StoreError::Internal(msg()),
        }
    }

    /// Did a UNIQUE or PRIMARY KEY constraint refuse the write?
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }

    /// Busy or unavailable: the request may succeed if retried shortly (HTTP 503).
    pub fn is_temporary(&self) -> bool {
        matches!(self, StoreError::Busy(_) | StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if connection_lost(&e) {
            reads::lost_connection();
        }
        match StoreError::from_sqlx_ref(&e) {
            StoreError::Internal(_) => StoreError::Database(e),
            classified => classified,
        }
    }
}

/// Whether `e` means the connection itself is gone or unusable (not one statement's failure):
/// I/O, TLS or protocol errors, or PostgreSQL ending the session (class 08, admin shutdown,
/// crash shutdown, cannot connect now).
fn connection_lost(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed
    ) || postgres_state(e)
        .is_some_and(|s| s.starts_with("08") || matches!(s.as_str(), "57P01" | "57P02" | "57P03"))
}

/// The database behind a data directory, or a PostgreSQL database several processes share.
#[derive(Clone)]
pub struct Store {
    reads: std::sync::Arc<reads::Reads>,
    writer: Writer,
    /// The SQLite file, or the PostgreSQL URL without its password.
    path: PathBuf,
    /// The data directory's open lock, held shared while any clone of this store lives
    /// (SQLite only).
    _open: Option<Arc<files::OpenLock>>,
}

/// The write path: SQLite's one writer with group commit, or PostgreSQL's transactions.
#[derive(Clone)]
enum Writer {
    Sqlite(writer::Writer),
    Postgres(Arc<writer::postgres::PgWriter>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// PostgreSQL connections each store keeps for writes (units of work run concurrently, each in
/// its own transaction).
const POSTGRES_WRITE_CONNECTIONS: usize = 8;

pub const DB_FILE: &str = "authdesk.db";

/// The writer's page cache (KiB, SQLite's negative form): with a million stored tokens the
/// indexes a refresh looks up and inserts into outgrow SQLite's 2 MiB default, and every miss
/// is a read from the operating system's cache on the writer's critical path.
const WRITER_CACHE: &str = "-16384";

/// Read connections; each read holds one only for its statements.
const READ_CONNECTIONS: usize = 4;

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
}

/// A connection to the PostgreSQL database at `url` (`postgres://…`), its schema brought up to
/// date first.
pub async fn postgres_connection(url: &str) -> Result<Conn> {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(|e| {
        StoreError::Unusable(format!("{} is not a PostgreSQL URL: {e}", redacted(url)))
    })?;
    let mut conn = Connector::Postgres(options)
        .connect()
        .await
        .map_err(|e| StoreError::Unusable(format!("cannot connect to {}: {e}", redacted(url))))?;
    migrate(&mut conn, Path::new(&redacted(url))).await?;
    require_code_point_order(&mut conn, &redacted(url)).await?;
    Ok(conn)
}

/// Refuses a PostgreSQL database whose collation is a language's (see
/// `search::compares_by_code_point`), naming the fix.
async fn require_code_point_order(conn: &mut Conn, shown: &str) -> Result<()> {
    if search::compares_by_code_point(conn).await? {
        return Ok(());
    }
    Err(StoreError::Unusable(format!(
        "{shown} sorts text by a language's rules, not by code point, so the console's search \
         would miss people: create the database with the C.UTF-8 collation (CREATE DATABASE \
         authdesk TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8') and move the data there \
         (pg_dump, then pg_restore into it)"
    )))
}

/// A database URL without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "the database URL".to_string(),
    }
}

/// Explains, for a person at a terminal, why a database cannot be opened.
fn unusable(path: &Path, e: StoreError) -> StoreError {
    let p = path.display();
    match e {
        StoreError::Unavailable(m) if m.contains("read-only") || m.contains("cannot open") => {
            StoreError::Unusable(format!(
                "cannot write to {p}: {m}. The data directory and its files must be writable by this user."
            ))
        }
        StoreError::Unavailable(m) if m.contains("damaged") => StoreError::Unusable(format!(
            "{p} is not a readable Authdesk database: {m}. Restore it from a backup, or move it away to start afresh."
        )),
        StoreError::Unavailable(m) => StoreError::Unusable(format!("cannot open {p}: {m}")),
        StoreError::Busy(m) => StoreError::Unusable(format!("cannot open {p}: {m}")),
        other => other,
    }
}

/// The schema's migrations for each database: the same versions, in each one's dialect.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The newest schema version this program knows.
fn known_schema() -> i64 {
    SQLITE_MIGRATIONS
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

async fn migrate(conn: &mut Conn, path: &Path) -> Result<()> {
    let known = known_schema();
    let ran = match conn {
        Conn::Sqlite(c) => SQLITE_MIGRATIONS.run_direct(c).await,
        Conn::Postgres(c) => POSTGRES_MIGRATIONS.run_direct(c).await,
    };
    ran.map_err(|e| match e {
        sqlx::migrate::MigrateError::VersionMissing(v) => StoreError::Unusable(format!(
            "{} was written by a newer version of Authdesk (schema version {v}; this program knows up to {known}). Use the newer program, or restore a backup made by this one.",
            path.display()
        )),
        sqlx::migrate::MigrateError::Execute(e) => unusable(path, StoreError::from(e)),
        other => StoreError::Unusable(format!("cannot bring {} up to date: {other}", path.display())),
    })
}

impl Store {
    /// Opens (creating if needed) `dir/authdesk.db`, brings its schema up to date and starts
    /// its writer on the current Tokio runtime. `role` says whether this process serves (and
    /// yields to admin writes) or is an admin command (see `turnstile`).
    pub async fn open(dir: &Path, role: Role) -> Result<Self> {
        Self::open_with(dir, role, Limits::default()).await
    }

    /// [`Store::open`] with other limits than the defaults (tests shorten the wait).
    pub async fn open_with(dir: &Path, role: Role, limits: Limits) -> Result<Self> {
        Self::open_with_clock(dir, role, limits, Arc::new(SystemClock)).await
    }

    /// [`Store::open_with`] on another wall clock, the one that stamps audit events
    /// (`recorded_at`) when they are committed: the base clock under the sandbox offset.
    pub async fn open_with_clock(
        dir: &Path,
        role: Role,
        limits: Limits,
        wall: Arc<dyn Clock>,
    ) -> Result<Self> {
        for repair in files::prepare(dir)? {
            tracing::warn!(%repair, "data directory made owner-only");
        }
        let open_lock = Arc::new(files::open_shared(dir)?);
        let path = dir.join(DB_FILE);
        // Savepoint journals stay in memory: the writer nests one per unit of work, and a
        // temporary file per batch would cost an open, writes and an unlink each time.
        let write_options = options(&path)
            .create_if_missing(true)
            .busy_timeout(Duration::from_millis(100))
            .pragma("temp_store", "MEMORY")
            .pragma("cache_size", WRITER_CACHE);
        // Opening waits for the lock as long as a unit of work may (another process's last
        // connection checkpoints the log as it closes); the writer then waits 100 ms at most.
        let mut conn = Conn::Sqlite(
            write_options
                .clone()
                .busy_timeout(limits.wait)
                .connect()
                .await
                .map_err(|e| unusable(&path, e.into()))?,
        );
        migrate(&mut conn, &path).await?;
        conn.execute("PRAGMA busy_timeout = 100")
            .await
            .map_err(|e| unusable(&path, e.into()))?;
        let turnstile = turnstile::Turnstile::open(dir, role)
            .map_err(|e| StoreError::Unusable(format!("cannot write to {}: {e}", dir.display())))?;
        let reads = std::sync::Arc::new(reads::Reads::new(
            Connector::Sqlite(
                options(&path)
                    .busy_timeout(limits.wait)
                    .pragma("query_only", "ON"),
            ),
            READ_CONNECTIONS,
            limits.wait,
        ));
        let writer = writer::Writer::spawn(conn, write_options, turnstile, limits, wall);
        Ok(Self {
            reads,
            writer: Writer::Sqlite(writer),
            path,
            _open: Some(open_lock),
        })
    }

    /// Opens the PostgreSQL database at `url` (`postgres://…`), bringing its schema up to date
    /// (several processes may do this at once: sqlx's migrator takes an advisory lock). Every
    /// connection waits at most `limits.wait` for a row lock (`lock_timeout`): a longer wait is
    /// refused as busy.
    pub async fn open_postgres(url: &str, limits: Limits, wall: Arc<dyn Clock>) -> Result<Self> {
        use std::str::FromStr;
        let shown = redacted(url);
        let wait_ms = limits.wait.as_millis().to_string();
        let options = sqlx::postgres::PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unusable(format!("{shown} is not a PostgreSQL URL: {e}")))?
            .options([("lock_timeout", wait_ms.as_str())])
            .application_name("authdesk");
        let mut first = Connector::Postgres(options.clone())
            .connect()
            .await
            .map_err(|e| StoreError::Unusable(format!("cannot connect to {shown}: {e}")))?;
        migrate(&mut first, Path::new(&shown)).await?;
        require_code_point_order(&mut first, &shown).await?;
        let _ = first.close().await;
        let reads = Arc::new(reads::Reads::new(
            Connector::Postgres(options.clone()),
            READ_CONNECTIONS,
            limits.wait,
        ));
        let writes = Arc::new(reads::Reads::new(
            Connector::Postgres(options),
            POSTGRES_WRITE_CONNECTIONS,
            limits.wait,
        ));
        Ok(Self {
            reads,
            writer: Writer::Postgres(Arc::new(writer::postgres::PgWriter::new(
                writes, limits, wall,
            ))),
            path: PathBuf::from(shown),
            _open: None,
        })
    }

    /// Copies this data directory's database into the empty PostgreSQL database at `url`
    /// (schema brought up to date first), from one consistent read, committed only if every
    /// table's count matches (`copy`). Returns the counts.
    pub async fn copy_to_postgres(&self, url: &str) -> Result<Vec<(&'static str, i64)>> {
        if self.is_postgres() {
            return Err(StoreError::Unusable(
                "migrate copies a data directory into PostgreSQL; this is PostgreSQL already"
                    .into(),
            ));
        }
        let mut target = postgres_connection(url).await?;
        let mut source = self.read().await?;
        source.execute("BEGIN").await?;
        let copied = copy::sqlite_to_postgres(&mut source, &mut target).await;
        let _ = source.execute("ROLLBACK").await;
        let _ = target.close().await;
        copied
    }

    /// Whether this store is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self.writer, Writer::Postgres(_))
    }

    /// A read-only connection (WAL: never waits for the writer). Writing through it fails.
    pub async fn read(&self) -> Result<ReadConn<'_>> {
        self.reads.get().await
    }

    /// Runs `work` as one unit of work in the writer: all of it is committed, or none of it.
    /// `work` may run more than once (a copy of it again, on the same state, when another unit
    /// of its batch failed): it does nothing but database work.
    ///
    /// `work` returning `Err` rolls back what it wrote and fails alone (its batch commits
    /// without it); a decision that must be kept *and* answered with an error (say, a revoked
    /// grant after a replayed code) is an `Ok` value the caller turns into the error. The
    /// answer arrives only after the commit. If the caller stops waiting, work that has
    /// started still finishes (or rolls back) in the writer; work that has not started never
    /// runs. `work` never manages transactions itself.
    pub async fn write<T, E, F>(&self, work: F) -> std::result::Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, std::result::Result<T, E>>
            + Clone
            + Send
            + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match &self.writer {
            Writer::Sqlite(w) => w.submit(work).await,
            Writer::Postgres(w) => w.submit(work).await,
        }
    }

    /// Runs a unit of work in the one write model ([`facts`]): the store reads the facts
    /// `keys` name — in the writer's batch on SQLite, locked until the commit on PostgreSQL —
    /// and `decide`, pure (no I/O; it may run more than once on the same facts), returns the
    /// writes its decision implies ([`facts::Writes`], each statement changing exactly one row)
    /// and the answer. The writer reads the facts of consecutive units naming only batched
    /// facts (refresh tokens) in one query and sends their writes together. Otherwise it is like
    /// [`Store::write`]: `Err` fails the unit alone with nothing written, and the answer comes
    /// after the commit.
    pub async fn decide<T, E, F>(
        &self,
        keys: Vec<facts::Key>,
        decide: F,
    ) -> std::result::Result<T, E>
    where
        F: FnOnce(&facts::Facts) -> std::result::Result<(facts::Writes, T), E>
            + Clone
            + Send
            + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match &self.writer {
            Writer::Sqlite(w) => w.decide(keys, decide).await,
            Writer::Postgres(w) => w.decide(keys, decide).await,
        }
    }

    /// Runs a unit of work that only appends rows, each statement of `script` changing exactly
    /// one row (an insert of a new row). The writer may send it to SQLite together with other
    /// appending units of its batch (one round trip for many); otherwise it is like
    /// [`Store::write`]: committed whole or not at all, answered after the commit.
    pub async fn append(&self, script: Script) -> Result<()> {
        match &self.writer {
            Writer::Sqlite(w) => w.append(script).await,
            Writer::Postgres(w) => w.append(script).await,
        }
    }

    /// Whether the store can answer now: a read connection within the wait limit, and the
    /// schema at the version this program knows (another process may have migrated it further
    /// since this one opened it). Returns the schema version.
    pub async fn ready(&self) -> Result<i64> {
        let known = known_schema();
        let mut conn = self.read().await?;
        let applied: Option<i64> = on!(
            &mut *conn,
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
            |db, sql| sqlx::query_scalar(sql).fetch_one(&mut *db).await
        )?;
        match applied {
            Some(v) if v == known => Ok(v),
            Some(v) => Err(StoreError::Unusable(format!(
                "the schema is at version {v}, this program knows {known}"
            ))),
            None => Err(StoreError::Unusable("the schema is not set up".into())),
        }
    }

    /// Writes a consistent copy of the database to `to` (SQLite's `VACUUM INTO`: one read
    /// transaction, so writers go on meanwhile and the copy is the state at one moment). The
    /// copy is written beside `to` and renamed into place, owner-only; an existing `to` is
    /// refused, never overwritten.
    pub async fn backup(&self, to: &Path) -> Result<u64> {
        if self.is_postgres() {
            return Err(StoreError::Unusable(
                "a PostgreSQL database is backed up with PostgreSQL's own tools (pg_dump, or base backups with WAL archiving)".into(),
            ));
        }
        if to.exists() {
            return Err(StoreError::Unusable(format!(
                "{} exists already: choose a new file name (a backup never overwrites)",
                to.display()
            )));
        }
        let name = to
            .file_name()
            .ok_or_else(|| StoreError::Unusable(format!("{} is not a file name", to.display())))?;
        let partial = to.with_file_name(format!(".{}.partial", name.to_string_lossy()));
        let _ = std::fs::remove_file(&partial);
        // Owner-only from the start: the copy holds the signing keys and the hash key.
        files::create_owner_only(&partial)?;
        let mut conn = options(&self.path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(2))
            .connect()
            .await?;
        sqlx::query("VACUUM INTO ?")
            .bind(partial.to_string_lossy().to_string())
            .execute(&mut conn)
            .await
            .map_err(|e| {
                let _ = std::fs::remove_file(&partial);
                StoreError::from(e)
            })?;
        let _ = sqlx::Connection::close(conn).await;
        std::fs::rename(&partial, to).map_err(|e| {
            StoreError::Unusable(format!("cannot put the backup at {}: {e}", to.display()))
        })?;
        Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0))
    }

    /// Replaces the database of `dir` with the backup `from`, with nothing else having the
    /// directory open (the open lock, exclusive). The backup is checked first (an Authdesk
    /// database, `PRAGMA integrity_check` ok, not from a newer version); it is copied in
    /// owner-only; the database it replaces is kept beside it as
    /// `authdesk.db.before-restore-<unix time>` (with its `-wal` and `-shm`). Opening the store
    /// afterwards brings an older backup's schema up to date. Returns where the old one went.
    pub async fn restore(dir: &Path, from: &Path, now: i64) -> Result<PathBuf> {
        files::prepare(dir)?;
        let _exclusive = files::open_exclusive(dir)?;
        let bad = |why: String| {
            StoreError::Unusable(format!("{} cannot be restored: {why}", from.display()))
        };
        if !from.is_file() {
            return Err(bad("there is no such file".into()));
        }
        let mut source = SqliteConnectOptions::new()
            .filename(from)
            .read_only(true)
            .connect()
            .await
            .map_err(|e| bad(e.to_string()))?;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut source)
            .await
            .map_err(|e| bad(format!("it is not a readable SQLite database ({e})")))?;
        if check != "ok" {
            return Err(bad(format!("it is damaged ({check})")));
        }
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut source)
                .await
                .map_err(|_| bad("it is not an Authdesk database".into()))?;
        let known = known_schema();
        match version {
            None => return Err(bad("it is not an Authdesk database".into())),
            Some(v) if v > known => {
                return Err(bad(format!(
                    "it was written by a newer version (schema {v}; this program knows up to {known})"
                )));
            }
            Some(_) => {}
        }
        let incoming = dir.join(format!(".{DB_FILE}.restoring"));
        let _ = std::fs::remove_file(&incoming);
        files::create_owner_only(&incoming)?;
        sqlx::query("VACUUM INTO ?")
            .bind(incoming.to_string_lossy().to_string())
            .execute(&mut source)
            .await
            .map_err(|e| bad(e.to_string()))?;
        let _ = sqlx::Connection::close(source).await;
        let kept = dir.join(format!("{DB_FILE}.before-restore-{now}"));
        let moved = |suffix: &str| -> Result<()> {
            let from = dir.join(format!("{DB_FILE}{suffix}"));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", kept.display()));
                std::fs::rename(&from, &to).map_err(|e| {
                    StoreError::Unusable(format!("cannot move {} aside: {e}", from.display()))
                })?;
            }
            Ok(())
        };
        moved("")?;
        moved("-wal")?;
        moved("-shm")?;
        std::fs::rename(&incoming, dir.join(DB_FILE))
            .map_err(|e| StoreError::Unusable(format!("cannot put the backup in place: {e}")))?;
        Ok(kept)
    }

    /// Caps the database at `pages` pages (SQLite's `max_page_count`); writes that would grow
    /// it further fail as on a full disk. `None` lifts the cap. Tests use it to fill the disk.
    pub fn set_page_limit(&self, pages: Option<u32>) {
        if let Writer::Sqlite(w) = &self.writer {
            w.set_page_limit(pages);
        }
    }

    /// Writes waiting for the writer now, and how many may wait before writes are refused
    /// as busy (for metrics).
    pub fn write_queue(&self) -> (usize, usize) {
        match &self.writer {
            Writer::Sqlite(w) => w.queue_depth(),
            Writer::Postgres(w) => w.queue_depth(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seals every committed audit event now. On PostgreSQL the sealer does it within
    /// milliseconds anyway (`writer::sealer`); this is for a caller that must see the chain
    /// whole at once (tests, a process closing). SQLite seals in every commit: nothing to do.
    pub async fn seal_audit(&self) -> Result<()> {
        match &self.writer {
            Writer::Sqlite(_) => Ok(()),
            Writer::Postgres(w) => w.seal_all().await,
        }
    }

    /// Finishes queued writes and closes every connection.
    pub async fn close(&self) {
        match &self.writer {
            Writer::Sqlite(w) => w.close().await,
            Writer::Postgres(w) => w.close().await,
        }
        self.reads.close().await;
    }
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}
