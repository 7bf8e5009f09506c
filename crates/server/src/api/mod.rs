//! The use-case layer every host calls: one function per thing a user can do.

pub mod access;
pub mod audit;
pub mod authorize;
pub mod client_auth;
pub mod clients;
pub mod clock;
pub mod console;
pub mod desk;
pub use clock::ClockView;
pub mod explain;
pub mod grants;
pub mod keys;
pub mod login;
pub mod logout;
pub mod operators;
pub mod overview;
pub mod par;
pub mod prune;
pub mod sandbox_api;
pub mod search;
pub mod seed;
pub mod tokens;
pub mod transfer;
pub mod users;

use crate::secret::{self, SecretHasher};
use crate::signing::{self, SigningKey, VerifyingKey};
use authdesk_core::OAuthError;
use authdesk_core::alg::Alg;
use authdesk_core::client::FieldError;
use authdesk_core::clock::{Clock, OffsetClock};
use authdesk_core::issuer::Issuer;
use authdesk_core::roles::{self, Power};
pub use authdesk_core::site::{IssuerKind, IssuerSite, Profile, Site};
use authdesk_store::facts::{Facts, Key, Writes};
use authdesk_store::{BoxFuture, Conn, Role, Store, StoreError, settings};
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
    #[error("{}", fields.iter().map(std::string::ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid { fields: Vec<FieldError> },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    /// The operator's role does not allow it (`authdesk_core::roles`).
    #[error("{0}")]
    Forbidden(String),
    /// Nobody is signed in where an operator must be (a production registry's console).
    #[error("{0}")]
    SignInRequired(String),
    /// Busy or a storage fault: nothing was written; the same request may succeed shortly.
    #[error("{0}")]
    Unavailable(String),
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
            ApiError::Forbidden(_) => "forbidden",
            ApiError::SignInRequired(_) => "sign_in_required",
            ApiError::Unavailable(_) => "unavailable",
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
        match e {
            e if e.is_temporary() => ApiError::Unavailable(e.to_string()),
            StoreError::Unusable(m) => ApiError::Refused(m),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, ApiError>;

/// How checking something a caller presented (a token, client credentials) ends when it does
/// not pass: refused, with a reason the caller may be told; or a failure to look (the store),
/// which stays an internal error and never becomes a reason shown to a client.
#[derive(Debug)]
pub enum Check<R> {
    Refused(R),
    Failed(ApiError),
}

impl<R> From<ApiError> for Check<R> {
    fn from(e: ApiError) -> Self {
        Check::Failed(e)
    }
}

impl<R> From<StoreError> for Check<R> {
    fn from(e: StoreError) -> Self {
        Check::Failed(e.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Mode {
    Sandbox,
    Production,
}

/// Who is acting, and why, for the audit log: every event the act writes carries the reason
/// (`api::audit::record`).
#[derive(Debug, Clone)]
pub struct Actor {
    /// Who, as the audit names them: `alice (support) at desk-7` for an operator,
    /// `console:ada@desk-7` for the operating-system user of a sandbox console.
    pub name: String,
    /// Why, as the person gave it (disable, delete, rotate, revoke): at most [`MAX_REASON`]
    /// characters.
    pub reason: Option<String>,
    /// The operator's role; `None` for whoever holds the registry itself (the CLI without
    /// `--operator`, a sandbox console, the server): roles cannot stop someone who can write
    /// the database, so nothing is asked of them.
    pub role: Option<roles::Role>,
}

/// This machine's name, as audit events name the desk an action came from.
pub fn desk_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// The longest reason an audit event keeps.
pub const MAX_REASON: usize = 500;

impl Actor {
    pub fn named(name: impl Into<String>) -> Self {
        Actor {
            name: name.into(),
            reason: None,
            role: None,
        }
    }

    /// The local operating-system user acting through `via` (cli, console), on this desk.
    pub fn local(via: &str) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "local".into());
        Self::named(format!("{via}:{user}@{}", desk_name()))
    }

    pub fn cli() -> Self {
        Self::local("cli")
    }

    /// An operator acting with their role, on this desk; `via` names a way other than the
    /// console (`Some("cli")`).
    pub fn operator(o: &authdesk_store::operators::OperatorRow, via: Option<&str>) -> Self {
        let mut name = format!("{} ({}) at {}", o.username, o.role, desk_name());
        if let Some(via) = via {
            name.push_str(&format!(" via {via}"));
        }
        Actor {
            name,
            reason: None,
            role: Some(o.role),
        }
    }

    /// Refuses what the actor's role does not allow (`authdesk_core::roles`).
    pub fn may(&self, power: Power) -> Result<()> {
        match self.role {
            Some(role) if !role.may(power) => Err(ApiError::Forbidden(format!(
                "{} may not {}",
                self.name,
                power.what()
            ))),
            _ => Ok(()),
        }
    }

    /// The same actor giving `reason` (blank: none; longer than [`MAX_REASON`]: cut there).
    #[must_use]
    pub fn because(mut self, reason: Option<&str>) -> Self {
        self.reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| r.chars().take(MAX_REASON).collect());
        self
    }
}

pub const DEFAULT_ISSUER: &str = "http://127.0.0.1:8400";

/// How long one DPoP nonce is given out (it is taken for twice as long, RFC 9449 §8).
pub const DPOP_NONCE_SECONDS: i64 = 300;

struct Keyring {
    /// The active key of each algorithm the registry has one for.
    signing: std::collections::HashMap<Alg, Arc<SigningKey>>,
    /// The algorithm access tokens are signed with.
    access_alg: Alg,
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
    /// The profile served and the issuers it derives from the base URL.
    site: RwLock<Arc<Site>>,
    /// Login sessions on an `http://` issuer, switched on explicitly (see [`Authdesk::sso`]).
    sso_over_http: std::sync::atomic::AtomicBool,
    /// Every app must push its authorization requests (`serve --require-par`).
    require_par: std::sync::atomic::AtomicBool,
    /// DPoP proofs must carry a nonce this server gave (`serve --dpop-nonce`).
    dpop_nonce: std::sync::atomic::AtomicBool,
    clients: clients::ClientCache,
    /// Password hashing in progress at most (one per core: argon2's memory stays bounded).
    password_slots: Arc<tokio::sync::Semaphore>,
    /// argon2's working memory, one per slot once used, reused between logins.
    password_memory: Arc<std::sync::Mutex<Vec<secret::PasswordMemory>>>,
    /// How many audit events unauthenticated callers may still cause (see `audit`).
    unauthenticated_audit: audit::UnauthenticatedBudget,
    /// Keys fetched from apps' JWKS URIs.
    jwks: crate::client_keys::JwksCache,
    /// Seals paused authorization requests into their forms (`authorize::Paused`).
    sealer: crate::secret::Sealer,
}

/// How to open a data directory.
#[derive(Clone)]
pub struct OpenOptions {
    /// The mode a directory created now gets (an existing one keeps its own).
    pub mode_if_new: Mode,
    /// The base clock under the sandbox offset (tests freeze time with a `FixedClock`).
    pub clock: Arc<dyn Clock>,
    /// A server yields to admin writes; an admin command (the CLI) goes first.
    pub role: Role,
    /// How much may wait for the store before requests are refused as busy.
    pub limits: authdesk_store::Limits,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            mode_if_new: Mode::Sandbox,
            clock: Arc::new(authdesk_core::clock::SystemClock),
            role: Role::Serving,
            limits: authdesk_store::Limits::default(),
        }
    }
}

/// Refuses a directory that exists, holds files, but not our database: pointing at the wrong
/// mount or losing the database must not silently start an empty registry.
fn check_data_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.join(authdesk_store::DB_FILE).exists() {
        return Ok(());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => anyhow::bail!("cannot read the data directory {}: {e}", dir.display()),
    };
    if let Some(first) = entries.flatten().next() {
        anyhow::bail!(
            "{} has no {} but is not empty (it holds {:?}, ...): Authdesk creates a data directory only where there is none or in an empty one. If the database was moved or deleted, restore it; to start afresh, choose an empty directory.",
            dir.display(),
            authdesk_store::DB_FILE,
            first.file_name()
        );
    }
    Ok(())
}

/// Where the registry lives: a data directory (SQLite), or a PostgreSQL database that several
/// `authdesk serve` nodes, consoles and commands share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Dir(PathBuf),
    Postgres(String),
}

impl Database {
    /// `postgres://…` or `postgresql://…` is a PostgreSQL URL; anything else a directory.
    pub fn parse(s: &str) -> Self {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Database::Postgres(s.to_string())
        } else {
            Database::Dir(PathBuf::from(s))
        }
    }

    /// How to name it in messages and logs (a URL without its password).
    pub fn shown(&self) -> String {
        match self {
            Database::Dir(d) => d.display().to_string(),
            Database::Postgres(url) => authdesk_store::redacted(url),
        }
    }

    /// The text that names it again: `parse` gives back the same registry.
    fn location(&self) -> String {
        match self {
            Database::Dir(d) => d.display().to_string(),
            Database::Postgres(url) => url.clone(),
        }
    }

    /// The registry a console opened last from its Settings, as [`Database::remember`] kept
    /// it in `file`; none when there is no such file or it names nothing.
    pub fn recalled(file: &Path) -> Option<Database> {
        let text = std::fs::read_to_string(file).ok()?;
        let line = text.trim();
        (!line.is_empty()).then(|| Database::parse(line))
    }

    /// Keeps it in `file` for [`Database::recalled`]: owner-only (a URL may carry a password),
    /// and written whole — a new file renamed over the old one.
    pub fn remember(&self, file: &Path) -> anyhow::Result<()> {
        use std::io::Write;
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let next = file.with_extension("new");
        let _ = std::fs::remove_file(&next);
        let mut f = authdesk_store::files::create_owner_only(&next)?;
        f.write_all(format!("{}\n", self.location()).as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&next, file)?;
        Ok(())
    }
}

impl Authdesk {
    /// Opens the data directory as a server, creating a sandbox one if it does not exist.
    pub async fn open(dir: &Path) -> anyhow::Result<Self> {
        Self::open_with(dir, OpenOptions::default()).await
    }

    /// Opens or creates the data directory. Refuses (with a message that says why and what to
    /// do) a directory that is read-only, lost its database, or holds a damaged or newer one.
    pub async fn open_with(dir: &Path, options: OpenOptions) -> anyhow::Result<Self> {
        Self::open_database(&Database::Dir(dir.to_path_buf()), options).await
    }

    /// Opens (creating if needed) a data directory or a PostgreSQL database; a new one is set
    /// up the same way either way (mode, hash key, a first signing key), once: several nodes
    /// starting together agree on what the first one stored.
    pub async fn open_database(db: &Database, options: OpenOptions) -> anyhow::Result<Self> {
        let store = match db {
            Database::Dir(dir) => {
                check_data_dir(dir)?;
                Store::open_with_clock(dir, options.role, options.limits, options.clock.clone())
                    .await?
            }
            Database::Postgres(url) => {
                Store::open_postgres(url, options.limits, options.clock.clone()).await?
            }
        };
        let shown = db.shown();
        let base = options.clock;
        let new_mode = mode_name(options.mode_if_new);
        let now = base.now().timestamp();
        let setup_keys: Vec<Key> = std::iter::once(Key::Setup)
            .chain(
                [
                    settings::MODE,
                    settings::HASH_KEY,
                    settings::ISSUER,
                    settings::PROFILE,
                ]
                .map(|name| Key::Setting(name.to_string())),
            )
            .collect();
        let hash_key_if_new = secret::generate();
        // A new registry's first signing key is made only once the setup found none (an RSA
        // key takes a good part of a second), and the setup decided again with it.
        let mut first_key = None;
        let (mode, hash_key, issuer, profile) = loop {
            let key = first_key.clone();
            let hash_key_if_new = hash_key_if_new.clone();
            let decided = store
                .decide(setup_keys.clone(), move |facts: &Facts| -> Result<_> {
                    let mut writes = Writes::none();
                    if !facts.has_signing_keys() {
                        let Some(key) = &key else {
                            return Ok((Writes::none(), None));
                        };
                        authdesk_store::keys::insert_into(&mut writes, key);
                        settings::set_into(
                            &mut writes,
                            settings::ACCESS_TOKEN_ALG,
                            Alg::RS256.as_str(),
                        );
                    }
                    let mut init = |name: &str, value: &str| match facts.setting(name) {
                        Some(stored) => stored.to_string(),
                        None => {
                            settings::set_into(&mut writes, name, value);
                            value.to_string()
                        }
                    };
                    let mode = init(settings::MODE, new_mode);
                    let hash_key = init(settings::HASH_KEY, &hash_key_if_new);
                    let issuer = init(settings::ISSUER, DEFAULT_ISSUER);
                    let profile = facts.setting(settings::PROFILE).unwrap_or_default();
                    Ok((writes, Some((mode, hash_key, issuer, profile.to_string()))))
                })
                .await
                .map_err(|e| anyhow::anyhow!("cannot initialise {shown}: {e}"))?;
            match decided {
                Some(setup) => break setup,
                None => first_key = Some(signing::generate(Alg::RS256, now)?),
            }
        };
        // Names stored before they were keyed (authdesk_core::names): a one-time upgrade of
        // old rows, each given its key by a conditional update.
        let same_names = store
            .write(
                move |tx: &mut Conn| -> BoxFuture<'_, Result<Vec<(String, String)>>> {
                    Box::pin(async move {
                        let mut same_names = authdesk_store::users::backfill_keys(tx).await?;
                        same_names.extend(authdesk_store::clients::backfill_keys(tx).await?);
                        Ok(same_names)
                    })
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot initialise {shown}: {e}"))?;
        for (name, like) in &same_names {
            tracing::warn!(
                "the name '{}' reads the same as '{}': both are kept; rename one so people can tell them apart",
                authdesk_core::names::for_terminal(name),
                authdesk_core::names::for_terminal(like),
            );
        }
        let profile = Profile::parse(&profile).unwrap_or_default();
        let issuer_base = Issuer::parse(&issuer)
            .or_else(|_| Issuer::parse(DEFAULT_ISSUER))
            .map_err(|e| anyhow::anyhow!(e))?;
        let mode = if mode == "production" {
            Mode::Production
        } else {
            Mode::Sandbox
        };
        let keyring = load_keyring(&store).await?;
        let app = Self {
            store,
            data_dir: PathBuf::from(&shown),
            mode,
            clock: Arc::new(OffsetClock::with_base(base)),
            hasher: SecretHasher::new(hash_key.as_bytes()),
            sealer: crate::secret::Sealer::derived(
                &SecretHasher::new(hash_key.as_bytes()),
                "paused_authorization",
            ),
            keyring: RwLock::new(Arc::new(keyring)),
            site: RwLock::new(Arc::new(Site::new(profile, &issuer_base))),
            sso_over_http: Default::default(),
            require_par: Default::default(),
            dpop_nonce: Default::default(),
            clients: clients::ClientCache::default(),
            password_slots: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            )),
            password_memory: Arc::default(),
            unauthenticated_audit: audit::UnauthenticatedBudget::default(),
            jwks: Default::default(),
        };
        app.sync().await?;
        Ok(app)
    }

    /// Runs `work` as one unit of work in the store's writer: committed whole or not at all,
    /// finished even if the caller stops waiting (see `authdesk_store::Store::write`).
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T>> + Clone + Send + 'static,
        T: Send + 'static,
    {
        self.store.write(work).await
    }

    /// Runs a unit in the one write model: the store reads the facts `keys` name (locked on
    /// PostgreSQL), `decide` decides on them without I/O and returns the writes and the answer
    /// (see `authdesk_store::Store::decide`).
    pub(crate) async fn decide<T, F>(
        &self,
        keys: Vec<authdesk_store::facts::Key>,
        decide: F,
    ) -> Result<T>
    where
        F: FnOnce(&authdesk_store::facts::Facts) -> Result<(authdesk_store::facts::Writes, T)>
            + Clone
            + Send
            + 'static,
        T: Send + 'static,
    {
        self.store.decide(keys, decide).await
    }

    /// Runs a unit that only appends rows (see `authdesk_store::Store::append`): it may share
    /// its round trip to SQLite with other such units.
    pub(crate) async fn append(&self, script: authdesk_store::Script) -> Result<()> {
        Ok(self.store.append(script).await?)
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
    /// The time clients live in: the wall clock (a test's base clock), which moving the
    /// sandbox clock never touches. What a client writes itself — a DPoP proof's `iat`, an
    /// assertion's `exp` and `nbf` — is judged against it: a developer who moves the sandbox
    /// clock 90 days to watch tokens expire still runs a client whose clock says today. In
    /// production the two clocks are one (the clock cannot be moved there). The `jti`s of
    /// those clients' one-time JWTs are remembered and pruned on this clock too, so moving the
    /// sandbox clock never frees one for a replay.
    pub fn client_now(&self) -> DateTime<Utc> {
        self.clock.base_now()
    }
    pub(crate) fn hasher(&self) -> &SecretHasher {
        &self.hasher
    }
    /// The profile's first issuer (the default profile's one, Banno's consumer issuer): the
    /// one shown to people and used by `mint`.
    pub fn issuer(&self) -> String {
        self.site().primary().url.clone()
    }

    /// What this registry serves: its profile and issuers.
    pub fn site(&self) -> Arc<Site> {
        self.site.read().expect("site lock").clone()
    }

    pub fn profile(&self) -> Profile {
        self.site().profile
    }

    /// Sets the base URL this process serves under (the issuer itself in the default
    /// profile), and remembers it for `mint` and the next start.
    pub async fn set_issuer(&self, issuer: &Issuer) -> Result<()> {
        let value = issuer.to_string();
        self.write(move |tx| {
            Box::pin(async move { Ok(settings::set(tx, settings::ISSUER, &value).await?) })
        })
        .await?;
        let profile = self.profile();
        *self.site.write().expect("site lock") = Arc::new(Site::new(profile, issuer));
        Ok(())
    }

    /// Sets the profile this registry serves (remembered; a running server serves it from
    /// its next start).
    pub async fn set_profile(&self, profile: Profile, actor: &Actor) -> Result<()> {
        actor.may(Power::ManageSettings)?;
        let before = self.profile();
        let actor = actor.clone();
        let now = self.now().timestamp();
        self.write(move |tx| {
            Box::pin(async move {
                settings::set(tx, settings::PROFILE, profile.as_str()).await?;
                if before != profile {
                    audit::record(
                        tx,
                        now,
                        &actor,
                        audit::AuditAction::SettingsProfile,
                        "profile",
                        serde_json::json!({"from": before.as_str(), "to": profile.as_str()}),
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await?;
        let base = self.site().base.clone();
        *self.site.write().expect("site lock") = Arc::new(Site::new(profile, &base));
        Ok(())
    }

    /// Whether a login leaves a session that later authorization requests reuse (single
    /// sign-on). Always with an `https://` issuer (its cookie is `__Host-` and `Secure`). On
    /// an `http://` issuer only when switched on (`serve --sso`): browsers do not separate
    /// cookies by port, so every `http://127.0.0.1:*` app would receive the session cookie and
    /// could get codes for the user without a login.
    pub fn sso(&self) -> bool {
        self.issuer().starts_with("https://")
            || self
                .sso_over_http
                .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Switches login sessions on an `http://` issuer on or off (see [`Authdesk::sso`]).
    pub fn set_sso_over_http(&self, on: bool) {
        self.sso_over_http
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether every app's authorization requests must come pushed (RFC 9126 §5: the server's
    /// `require_pushed_authorization_requests`); an app's registration may ask it of that app
    /// alone.
    pub fn require_par(&self) -> bool {
        self.require_par.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Switches the server-wide PAR requirement on or off (see [`Authdesk::require_par`]).
    pub fn set_require_par(&self, on: bool) {
        self.require_par
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether DPoP proofs must carry a nonce this server gave (RFC 9449 §8).
    pub fn dpop_nonce_required(&self) -> bool {
        self.dpop_nonce.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Switches the DPoP nonce requirement on or off (`serve --dpop-nonce`).
    pub fn set_dpop_nonce_required(&self, on: bool) {
        self.dpop_nonce
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The DPoP nonces proofs may carry now: the current window's and the one before (a
    /// client's nonce may just have rolled over); none when none is required. Derived from the
    /// hash key and the (sandbox) clock, so every node gives and takes the same ones and
    /// nothing is stored.
    pub fn dpop_nonces(&self) -> Vec<String> {
        if !self.dpop_nonce_required() {
            return Vec::new();
        }
        let window = self.now().timestamp().div_euclid(DPOP_NONCE_SECONDS);
        [window, window - 1]
            .map(|w| {
                use base64::Engine;
                let mac = self.hasher().hash("dpop_nonce", &w.to_string());
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac[..16])
            })
            .to_vec()
    }

    /// The nonce to hand out now (`DPoP-Nonce`), when nonces are required.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.dpop_nonces().into_iter().next()
    }

    /// Picks up changes another process made to shared state (sandbox clock, signing keys,
    /// the app registry's version). Grants and tokens are read from the store on every request.
    pub async fn sync(&self) -> Result<()> {
        let mut conn = self.store.read().await?;
        // The version first: an offset read after it is as new as it or newer.
        let version = settings::get(&mut conn, settings::CLOCK_VERSION).await?;
        let offset = settings::get(&mut conn, settings::CLOCK_OFFSET).await?;
        let number = |s: Option<String>| s.and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
        self.clock
            .set_offset_as_of(number(version), Duration::seconds(number(offset)));
        self.clients
            .observe(settings::get(&mut conn, settings::REGISTRY_VERSION).await?);
        if !self.clients.is_complete() {
            // The whole registry, if it is small enough to hold (see `ClientCache`).
            let generation = self.clients.generation();
            let limit = i64::try_from(clients::CACHE_LIMIT).unwrap_or(i64::MAX) + 1;
            let rows = authdesk_store::clients::list(&mut conn, "", limit, 0).await?;
            self.clients.fill(generation, rows);
        }
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

    /// The key access tokens are signed with (the registry's algorithm).
    pub(crate) fn signing_key(&self) -> Arc<SigningKey> {
        let ring = self.keyring.read().expect("keyring lock");
        ring.signing
            .get(&ring.access_alg)
            .or_else(|| ring.signing.values().next())
            .expect("a registry has an active key")
            .clone()
    }

    /// The active key of `alg`, if the registry has one (see [`Self::ensure_key`]).
    pub(crate) fn key_for(&self, alg: Alg) -> Option<Arc<SigningKey>> {
        self.keyring
            .read()
            .expect("keyring lock")
            .signing
            .get(&alg)
            .cloned()
    }

    /// The algorithm access tokens are signed with.
    pub fn access_token_alg(&self) -> Alg {
        self.keyring.read().expect("keyring lock").access_alg
    }

    pub(crate) fn verifying_keys(&self) -> Vec<VerifyingKey> {
        self.keyring.read().expect("keyring lock").verifying.clone()
    }

    /// In production an action that ends or cuts off something needs a reason, which the
    /// audit keeps (the console offers a short list: lost device, customer request, suspected
    /// fraud, partner offboarding). A sandbox asks for none.
    pub(crate) fn require_reason(&self, reason: Option<&str>) -> Result<()> {
        let given = reason.is_some_and(|r| !r.trim().is_empty());
        if self.mode == Mode::Production && !given {
            return Err(ApiError::invalid(
                "reason",
                "give a reason: in production it is required, and the audit keeps it",
            ));
        }
        Ok(())
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
}

pub(crate) fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Sandbox => "sandbox",
        Mode::Production => "production",
    }
}

/// What identifies the keyring's state: every key and when it retired, and the access-token
/// algorithm (a change by another process is picked up by `sync`).
fn fingerprint(rows: &[authdesk_store::keys::KeyRow], access_alg: Option<&str>) -> String {
    let keys: Vec<String> = rows
        .iter()
        .map(|k| format!("{}:{:?}", k.kid, k.retired_at))
        .collect();
    format!("{}|{}", keys.join(","), access_alg.unwrap_or(""))
}

async fn key_fingerprint(store: &Store) -> std::result::Result<String, StoreError> {
    let mut conn = store.read().await?;
    let rows = authdesk_store::keys::all(&mut conn).await?;
    let access = settings::get(&mut conn, settings::ACCESS_TOKEN_ALG).await?;
    Ok(fingerprint(&rows, access.as_deref()))
}

async fn load_keyring(store: &Store) -> anyhow::Result<Keyring> {
    let mut conn = store.read().await?;
    let rows = authdesk_store::keys::all(&mut conn).await?;
    let access = settings::get(&mut conn, settings::ACCESS_TOKEN_ALG).await?;
    drop(conn);
    // Newest first: the first active key of each algorithm signs.
    let mut signing_keys = std::collections::HashMap::new();
    for row in rows.iter().filter(|k| k.retired_at.is_none()) {
        let key = signing::signing_key(row)?;
        signing_keys.entry(key.alg).or_insert_with(|| Arc::new(key));
    }
    // A registry from before per-algorithm keys had one active key, whose algorithm signed
    // everything.
    let newest_active = rows
        .iter()
        .find(|k| k.retired_at.is_none())
        .ok_or_else(|| anyhow::anyhow!("no active signing key"))?;
    let access_alg = match access.as_deref().map(Alg::parse) {
        Some(Ok(a)) if signing_keys.contains_key(&a) => a,
        _ => Alg::parse(&newest_active.alg).map_err(|e| anyhow::anyhow!(e))?,
    };
    let verifying = rows
        .iter()
        .map(signing::verifying_key)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Keyring {
        signing: signing_keys,
        access_alg,
        verifying,
        fingerprint: fingerprint(&rows, access.as_deref()),
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

#[cfg(test)]
mod tests {
    use super::Database;

    #[test]
    fn a_console_recalls_the_registry_it_remembered_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config/authdesk/console-registry");
        assert_eq!(Database::recalled(&file), None, "nothing remembered yet");
        let db = Database::parse("postgres://desk:pw@db.bank.internal/authdesk?sslmode=require");
        db.remember(&file).unwrap();
        assert_eq!(Database::recalled(&file), Some(db));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "a URL may carry a password");
        }
        let next = Database::Dir(dir.path().join("another dir"));
        next.remember(&file).unwrap();
        assert_eq!(
            Database::recalled(&file),
            Some(next),
            "the last one replaces it"
        );
        std::fs::write(&file, "  \n").unwrap();
        assert_eq!(
            Database::recalled(&file),
            None,
            "an empty file names nothing"
        );
    }
}
