//! Authdesk persistence: the only crate that contains SQL.
//!
//! One module per table, each a set of plain functions over a connection (`&mut Conn`), so a use
//! case can run several of them inside one transaction. Every SQLite connection runs in WAL
//! mode with `synchronous=FULL` (a committed token survives a process crash and a power loss),
//! a busy timeout and foreign keys on. Write transactions start with `BEGIN IMMEDIATE`, so two
//! writers are ordered by SQLite's lock instead of failing on a read-to-write upgrade.

pub mod access_tokens;
pub mod assertions;
pub mod audit;
pub mod clients;
pub mod codes;
pub mod consents;
pub mod grants;
pub mod interactions;
pub mod keys;
pub mod refresh_tokens;
pub mod sessions;
pub mod settings;
pub mod users;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqlitePool, Transaction};
use std::path::Path;
use std::time::Duration;

pub type Conn = sqlx::SqliteConnection;
pub type Tx = Transaction<'static, sqlx::Sqlite>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// Did a UNIQUE or PRIMARY KEY constraint refuse the write?
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// The database behind a data directory.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

pub const DB_FILE: &str = "authdesk.db";

impl Store {
    /// Opens (creating if needed) `dir/authdesk.db` and brings its schema up to date.
    pub async fn open(dir: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(dir.join(DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        sqlx::migrate!("../../migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// A read-only view or a single-statement write needs no transaction.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>> {
        Ok(self.pool.acquire().await?)
    }

    /// A write transaction that holds SQLite's write lock from its first statement.
    pub async fn write(&self) -> Result<Tx> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

/// Commits a write transaction.
pub async fn commit(tx: Tx) -> Result<()> {
    Ok(tx.commit().await?)
}
