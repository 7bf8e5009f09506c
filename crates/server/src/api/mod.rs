//! The use-case layer every host calls: one function per thing a user can do.

pub mod audit;
pub mod authorize;
pub mod client_auth;
pub mod clients;
pub mod console;
pub mod explain;
pub mod grants;
pub mod keys;
pub mod tokens;
pub mod users;

use crate::secret::{self, SecretHasher};
use crate::signing::{self, SigningKey, VerifyingKey};
use authdesk_core::client::FieldError;
use authdesk_core::clock::{Clock, OffsetClock};
use authdesk_core::OAuthError;
use authdesk_store::{settings, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// An error from a use case. Admin callers get a stable `code()` plus a message; OAuth callers
/// get the RFC error. Internal failures are logged and surface only as an opaque error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    OAuth(#[from] OAuthError),
    #[error("{}", fields.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid { fields: Vec<FieldError> },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A stable machine-readable code; callers never match on the message.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::OAuth(e) => e.code.as_str(),
            ApiError::Invalid { .. } => "invalid_input",
            ApiError::NotFound(_) => "not_found",
            ApiError::Refused(_) => "refused",
            ApiError::Internal(_) => "internal",
        }
    }
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            fields: vec![FieldError {
                field,
                message: message.into(),
            }],
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, ApiError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Mode {
    Sandbox,
    Production,
}

/// Who is acting, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl Actor {
    /// The local operating-system user acting through `host` (cli, console).
    pub fn local(host: &str) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "local".into());
        Actor(format!("{host}:{user}"))
    }

    pub fn cli() -> Self {
        Self::local("cli")
    }
}

pub const DEFAULT_ISSUER: &str = "http://127.0.0.1:8400";

struct Keyring {
    signing: Arc<SigningKey>,
    verifying: Vec<VerifyingKey>,
    fingerprint: String,
}

/// A data directory opened: the store plus the state every rule needs (clock, hash key,
/// signing keys). Cheap to share behind an `Arc`.
pub struct Authdesk {
    store: Store,
    data_dir: PathBuf,
    mode: Mode,
    clock: Arc<OffsetClock>,
    hasher: SecretHasher,
    keyring: RwLock<Arc<Keyring>>,
    issuer: RwLock<String>,
}

impl Authdesk {
    /// Opens the data directory, creating a sandbox one if it does not exist.
    pub async fn open(dir: &Path) -> anyhow::Result<Self> {
        Self::open_with(dir, Mode::Sandbox).await
    }

    /// Opens or creates; a new directory gets `mode_if_new`.
    pub async fn open_with(dir: &Path, mode_if_new: Mode) -> anyhow::Result<Self> {
        Self::open_with_clock(
            dir,
            mode_if_new,
            Arc::new(authdesk_core::clock::SystemClock),
        )
        .await
    }

    /// Opens with `base` under the sandbox offset instead of the wall clock (tests freeze time
    /// this way, so "one year minus one second" is exact).
    pub async fn open_with_clock(
        dir: &Path,
        mode_if_new: Mode,
        base: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", dir.display()))?;
        let store = Store::open(dir).await?;
        let mut tx = store.write().await?;
        let mode = settings::init(&mut tx, settings::MODE, mode_name(mode_if_new)).await?;
        let hash_key = settings::init(&mut tx, settings::HASH_KEY, &secret::generate()).await?;
        let issuer = settings::init(&mut tx, "issuer", DEFAULT_ISSUER).await?;
        let had_keys = !authdesk_store::keys::all(&mut tx).await?.is_empty();
        if !had_keys {
            let now = base.now().timestamp();
            let row = signing::generate(signing::Alg::RS256, now)?;
            authdesk_store::keys::insert(&mut tx, &row).await?;
        }
        authdesk_store::commit(tx).await?;
        let mode = if mode == "production" {
            Mode::Production
        } else {
            Mode::Sandbox
        };
        let keyring = load_keyring(&store).await?;
        let app = Self {
            store,
            data_dir: dir.to_path_buf(),
            mode,
            clock: Arc::new(OffsetClock::with_base(base)),
            hasher: SecretHasher::new(hash_key.as_bytes()),
            keyring: RwLock::new(Arc::new(keyring)),
            issuer: RwLock::new(issuer),
        };
        app.sync().await?;
        Ok(app)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
    pub fn mode(&self) -> Mode {
        self.mode
    }
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    pub fn clock_offset(&self) -> Duration {
        self.clock.offset()
    }
    pub(crate) fn hasher(&self) -> &SecretHasher {
        &self.hasher
    }
    pub fn issuer(&self) -> String {
        self.issuer.read().expect("issuer lock").clone()
    }

    /// Sets the issuer this process serves as, and remembers it for `mint`.
    pub async fn set_issuer(&self, issuer: &str) -> Result<()> {
        let mut conn = self.store.conn().await?;
        settings::set(&mut conn, "issuer", issuer).await?;
        *self.issuer.write().expect("issuer lock") = issuer.to_string();
        Ok(())
    }

    /// Picks up changes another process made to shared state (sandbox clock, signing keys).
    /// Everything else (apps, grants, tokens) is read from the store on every request.
    pub async fn sync(&self) -> Result<()> {
        let mut conn = self.store.conn().await?;
        let offset = settings::get(&mut conn, settings::CLOCK_OFFSET).await?;
        let secs = offset.and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        self.clock.set_offset(Duration::seconds(secs));
        drop(conn);
        let fp = key_fingerprint(&self.store).await?;
        if fp != self.keyring.read().expect("keyring lock").fingerprint {
            let k = load_keyring(&self.store)
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            *self.keyring.write().expect("keyring lock") = Arc::new(k);
        }
        Ok(())
    }

    pub(crate) fn signing_key(&self) -> Arc<SigningKey> {
        self.keyring.read().expect("keyring lock").signing.clone()
    }

    pub(crate) fn verifying_keys(&self) -> Vec<VerifyingKey> {
        self.keyring.read().expect("keyring lock").verifying.clone()
    }

    pub(crate) fn require_sandbox(&self, what: &str) -> Result<()> {
        match self.mode {
            Mode::Sandbox => Ok(()),
            Mode::Production => Err(ApiError::Refused(format!(
                "{what} is a sandbox feature; this is a production data directory ({})",
                self.data_dir.display()
            ))),
        }
    }

    /// The sandbox clock, as every token rule sees it.
    pub fn clock_show(&self) -> ClockView {
        ClockView {
            now: self.now(),
            offset_seconds: self.clock.offset().num_seconds(),
            mode: self.mode,
        }
    }

    /// Moves the sandbox clock forward (or back, with a negative duration) by `by`.
    pub async fn clock_advance(&self, by: Duration, actor: &Actor) -> Result<ClockView> {
        self.require_sandbox("moving the clock")?;
        let mut tx = self.store.write().await?;
        let current = settings::get(&mut tx, settings::CLOCK_OFFSET)
            .await?
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        let next = current
            .checked_add(by.num_seconds())
            .filter(|n| n.abs() < 100 * 365 * 86_400)
            .ok_or_else(|| ApiError::invalid("duration", "the clock can move at most 100 years"))?;
        settings::set(&mut tx, settings::CLOCK_OFFSET, &next.to_string()).await?;
        let now = (self.clock.now() - self.clock.offset() + Duration::seconds(next)).timestamp();
        audit::record(
            &mut tx,
            now,
            actor,
            "clock.advance",
            "clock",
            serde_json::json!({"by_seconds": by.num_seconds(), "offset_seconds": next}),
        )
        .await?;
        authdesk_store::commit(tx).await?;
        self.clock.set_offset(Duration::seconds(next));
        Ok(self.clock_show())
    }

    pub async fn clock_reset(&self, actor: &Actor) -> Result<ClockView> {
        self.require_sandbox("moving the clock")?;
        let mut tx = self.store.write().await?;
        settings::set(&mut tx, settings::CLOCK_OFFSET, "0").await?;
        let now = (self.clock.now() - self.clock.offset()).timestamp();
        audit::record(
            &mut tx,
            now,
            actor,
            "clock.reset",
            "clock",
            serde_json::json!({}),
        )
        .await?;
        authdesk_store::commit(tx).await?;
        self.clock.set_offset(Duration::zero());
        Ok(self.clock_show())
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ClockView {
    pub now: DateTime<Utc>,
    #[ts(type = "number")]
    pub offset_seconds: i64,
    pub mode: Mode,
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Sandbox => "sandbox",
        Mode::Production => "production",
    }
}

async fn key_fingerprint(store: &Store) -> std::result::Result<String, StoreError> {
    let mut conn = store.conn().await?;
    let rows = authdesk_store::keys::all(&mut conn).await?;
    Ok(rows
        .iter()
        .map(|k| format!("{}:{:?}", k.kid, k.retired_at))
        .collect::<Vec<_>>()
        .join(","))
}

async fn load_keyring(store: &Store) -> anyhow::Result<Keyring> {
    let mut conn = store.conn().await?;
    let rows = authdesk_store::keys::all(&mut conn).await?;
    let active = rows
        .iter()
        .find(|k| k.retired_at.is_none())
        .ok_or_else(|| anyhow::anyhow!("no active signing key"))?;
    let signing = Arc::new(signing::signing_key(active)?);
    let verifying = rows
        .iter()
        .map(signing::verifying_key)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let fingerprint = rows
        .iter()
        .map(|k| format!("{}:{:?}", k.kid, k.retired_at))
        .collect::<Vec<_>>()
        .join(",");
    Ok(Keyring {
        signing,
        verifying,
        fingerprint,
    })
}

/// Pagination for list use cases: done in the store, never in the caller.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 100,
            offset: 0,
        }
    }
}

impl Page {
    pub(crate) fn clamp(self) -> (i64, i64) {
        (self.limit.clamp(1, 1000), self.offset.max(0))
    }
}
