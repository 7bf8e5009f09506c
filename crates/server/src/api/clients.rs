//! Applications (external-application configurations): the back-office use cases.

use super::{Actor, ApiError, Authdesk, Page, Result, audit};
use crate::api::audit::{AuditAction, AuditQuery};
use authdesk_core::alg::Alg;
use authdesk_core::client::{
    AppType, AuthMethod, ClientDraft, ClientSettings, ClientType, GrantType,
};
use authdesk_core::clock::from_unix;
use authdesk_core::names::{self, NameKind};
use authdesk_core::roles::Power;
use authdesk_core::status::{self, AppFacts};
use authdesk_store::clients::{self, ClientRow, PreviousSecret};
use authdesk_store::facts::{Facts, Key, Writes};
use authdesk_store::{grants, settings, users};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};

/// An app in the console's list, with how it is used.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppListed {
    #[serde(flatten)]
    #[ts(flatten)]
    pub app: ClientView,
    /// Grants not revoked.
    #[ts(type = "number")]
    pub live_grants: i64,
    /// When the app's newest grant was made (none: no person has signed in to it yet).
    pub last_grant_at: Option<DateTime<Utc>>,
}

/// What the console and CLI show of an app. Never contains the secret or its hash.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    pub partner_name: Option<String>,
    pub client_type: ClientType,
    pub token_endpoint_auth_method: AuthMethod,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub custom_claims: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub consent_required: bool,
    /// May introspect other apps' access tokens.
    pub resource_server: bool,
    /// Every token request must carry a DPoP proof (RFC 9449 §5.2).
    pub dpop_bound_access_tokens: bool,
    /// Authorization requests must come pushed (RFC 9126).
    pub require_pushed_authorization_requests: bool,
    pub enabled: bool,
    pub has_public_key: bool,
    /// The registered public key for private_key_jwt (PEM or JWKS): public material, shown so
    /// an edit keeps it.
    pub public_key: Option<String>,
    pub lifetimes: authdesk_core::lifetime::Lifetimes,
    pub secret_rotated_at: Option<DateTime<Utc>>,
    /// Until when the secret the last rotation replaced is still accepted (sandbox clock);
    /// `None` when that rotation had no overlap.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Standard, or a service account.
    pub app_type: AppType,
    /// A service account's user (`sub`).
    pub associated_user: Option<String>,
    pub id_token_alg: Alg,
    pub jwks_uri: Option<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Why the app's calls may fail (`core::status::app_trouble`), one line each; filled by
    /// `client_show` only (empty in lists).
    pub trouble: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The answer to create or rotate: the view plus the secret, shown this once.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ClientCreated {
    #[serde(flatten)]
    #[ts(flatten)]
    pub client: ClientView,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub client_secret: Option<String>,
}

impl From<&ClientRow> for ClientView {
    fn from(r: &ClientRow) -> Self {
        let s = &r.settings;
        ClientView {
            client_id: r.id.clone(),
            name: s.name.clone(),
            partner_name: s.partner_name.clone(),
            client_type: s.client_type,
            token_endpoint_auth_method: s.auth_method,
            redirect_uris: s
                .redirect_uris
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            scopes: s.scopes.iter().map(String::from).collect(),
            custom_claims: s.custom_claims.clone(),
            grant_types: s.grant_types.clone(),
            consent_required: s.consent_required,
            resource_server: s.resource_server,
            dpop_bound_access_tokens: s.dpop_bound_access_tokens,
            require_pushed_authorization_requests: s.require_pushed_authorization_requests,
            enabled: r.enabled,
            has_public_key: s.public_key.is_some(),
            public_key: s.public_key.clone(),
            lifetimes: s.lifetimes,
            secret_rotated_at: r.secret_rotated_at.map(from_unix),
            previous_secret_until: r.previous_secret.as_ref().map(|p| from_unix(p.until)),
            app_type: s.app_type,
            associated_user: s.associated_user.clone(),
            id_token_alg: s.id_token_alg,
            jwks_uri: s.jwks_uri.clone(),
            post_logout_redirect_uris: s
                .post_logout_redirect_uris
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            trouble: Vec::new(),
            created_at: from_unix(r.created_at),
            updated_at: from_unix(r.updated_at),
        }
    }
}

pub(crate) fn validate(draft: &ClientDraft) -> Result<ClientSettings> {
    let settings = draft
        .validate()
        .map_err(|fields| ApiError::Invalid { fields })?;
    if let Some(key) = &settings.public_key {
        crate::client_keys::ClientKey::parse(key)
            .map_err(|e| ApiError::invalid("public_key", e))?;
    }
    Ok(settings)
}

impl Authdesk {
    /// A registration submitted by an administrator, made ready and validated: the profile's
    /// ID-token algorithm where the draft names none (ES256 in the Banno profile, as Banno's
    /// ID tokens), a service account's associated user found by user name (or `sub`), a
    /// JWKS URI a production registry may fetch, and the ID-token key made if the registry
    /// has none of that algorithm yet.
    pub(crate) async fn registration(&self, draft: &ClientDraft) -> Result<ClientSettings> {
        let mut draft = draft.clone();
        if draft.id_token_alg.is_none() {
            draft.id_token_alg = Some(match self.profile() {
                super::Profile::Banno => Alg::ES256,
                super::Profile::Default => Alg::RS256,
            });
        }
        if let Some(name) = draft.associated_user.as_deref().map(str::trim)
            && !name.is_empty()
        {
            let mut conn = self.store().read().await?;
            let user = match users::by_username(&mut conn, name).await? {
                Some(u) => Some(u),
                None => users::get(&mut conn, name).await?,
            };
            let Some(user) = user else {
                return Err(ApiError::invalid(
                    "associated_user",
                    format!("no user named {}", authdesk_core::error::shown(name)),
                ));
            };
            draft.associated_user = Some(user.sub);
        }
        let settings = validate(&draft)?;
        if let Some(uri) = &settings.jwks_uri {
            crate::client_keys::jwks_uri_allowed(uri, self.mode())
                .await
                .map_err(|e| ApiError::invalid("jwks_uri", e))?;
        }
        self.ensure_key(settings.id_token_alg).await?;
        Ok(settings)
    }

    /// Runs an app change as one unit of work and forgets the cached apps after it.
    async fn registry_write<T, F>(&self, work: F) -> Result<T>
    where
        F: for<'c> FnOnce(&'c mut authdesk_store::Conn) -> authdesk_store::BoxFuture<'c, Result<T>>
            + Clone
            + Send
            + 'static,
        T: Send + 'static,
    {
        let r = self.write(work).await;
        self.clients.clear();
        r
    }

    /// Runs an app change in the one write model (`authdesk_store::Store::decide`) and forgets
    /// the cached apps after it.
    async fn registry_decide<T, F>(&self, keys: Vec<Key>, decide: F) -> Result<T>
    where
        F: FnOnce(&Facts) -> Result<(Writes, T)> + Clone + Send + 'static,
        T: Send + 'static,
    {
        let r = self.decide(keys, decide).await;
        self.clients.clear();
        r
    }

    pub async fn client_create(&self, draft: &ClientDraft, actor: &Actor) -> Result<ClientCreated> {
        actor.may(Power::ManageApps)?;
        let settings = self.registration(draft).await?;
        let now = self.now().timestamp();
        let secret = settings
            .auth_method
            .uses_secret()
            .then(crate::secret::generate);
        let row = ClientRow {
            id: uuid::Uuid::new_v4().to_string(),
            secret_hash: secret
                .as_ref()
                .map(|s| self.hasher().hash("client_secret", s)),
            secret_rotated_at: secret.as_ref().map(|_| now),
            previous_secret: None,
            settings,
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let (stored, actor) = (row.clone(), actor.clone());
        let keys = vec![Key::AppName(row.settings.name.clone())];
        self.registry_decide(keys, move |facts| {
            name_is_free(facts, &stored.settings.name, None)?;
            let mut writes = Writes::none();
            clients::insert_into(&mut writes, &stored);
            audit::record_into(
                &mut writes,
                now,
                &actor,
                AuditAction::ClientCreate,
                &stored.id,
                json!({"name": stored.settings.name}),
            );
            Ok((writes, ()))
        })
        .await?;
        Ok(ClientCreated {
            client: ClientView::from(&row),
            client_secret: secret,
        })
    }

    pub async fn client_list(&self, search: &str, page: Page) -> Result<Vec<ClientView>> {
        let (limit, offset) = page.clamp();
        let mut conn = self.store().read().await?;
        Ok(clients::list(&mut conn, search.trim(), limit, offset)
            .await?
            .iter()
            .map(ClientView::from)
            .collect())
    }

    /// The console's list of apps: each with its live grants and its newest grant's time.
    pub async fn client_list_with_use(&self, search: &str, page: Page) -> Result<Vec<AppListed>> {
        let apps = self.client_list(search, page).await?;
        let mut conn = self.store().read().await?;
        let mut listed = Vec::with_capacity(apps.len());
        for app in apps {
            let (live_grants, last) = grants::app_use(&mut conn, &app.client_id).await?;
            listed.push(AppListed {
                app,
                live_grants,
                last_grant_at: last.map(from_unix),
            });
        }
        Ok(listed)
    }

    pub(crate) async fn client_row(&self, id: &str) -> Result<ClientRow> {
        let mut conn = self.store().read().await?;
        clients::get(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no application with id {id}")))
    }

    /// One app, with why its calls may fail.
    pub async fn client_show(&self, id: &str) -> Result<ClientView> {
        let row = self.client_row(id).await?;
        let now = self.now();
        let since = (now - Duration::days(status::TROUBLE_DAYS)).timestamp();
        let events = |action: AuditAction, limit: i64| {
            let q = AuditQuery {
                action: Some(action),
                target: Some(row.id.clone()),
                from: Some(since),
                ..Default::default()
            };
            async move { self.audit_list(&q, Default::default(), limit).await }
        };
        let disabled = if row.enabled {
            None
        } else {
            events(AuditAction::ClientDisable, 1)
                .await?
                .rows
                .into_iter()
                .next()
        };
        // How often each kind of refusal happened lately, and the last one's reason.
        let mut recent = Vec::new();
        for action in [
            AuditAction::ClientAuthFailed,
            AuditAction::ClientJwksFetchFailed,
            AuditAction::AuthorizeRefused,
        ] {
            let page = events(action, 1).await?;
            let last = page.rows.first().map(|e| {
                let detail: Value = serde_json::from_str(&e.detail).unwrap_or_default();
                let reason = detail["reason"].as_str().unwrap_or_default().to_string();
                (from_unix(e.at), reason)
            });
            recent.push((page.total, last));
        }
        let as_recent = |i: usize| status::Recent {
            count: recent[i].0,
            last: recent[i].1.as_ref().map(|(t, why)| (*t, why.as_str())),
        };
        let facts = AppFacts {
            enabled: row.enabled,
            disabled: disabled
                .as_ref()
                .map(|e| (from_unix(e.at), e.actor.as_str())),
            uses_secret: row.settings.auth_method.uses_secret(),
            // The secret issued with the app is not a rotation.
            secret_rotated_at: row
                .secret_rotated_at
                .filter(|t| *t > row.created_at)
                .map(from_unix),
            previous_secret_until: row.previous_secret.as_ref().map(|p| from_unix(p.until)),
            auth_failures: as_recent(0),
            jwks_failures: as_recent(1),
            authorize_refusals: as_recent(2),
        };
        let mut view = ClientView::from(&row);
        view.trouble = status::app_trouble(&facts, now);
        Ok(view)
    }

    /// Replaces an app's settings. Changing the auth method to or from a secret method
    /// issues or clears the secret (returned once).
    pub async fn client_update(
        &self,
        id: &str,
        draft: &ClientDraft,
        actor: &Actor,
    ) -> Result<ClientCreated> {
        actor.may(Power::ManageApps)?;
        let settings = self.registration(draft).await?;
        let now = self.now().timestamp();
        let new_secret = crate::secret::generate();
        let new_hash = self.hasher().hash("client_secret", &new_secret);
        let (id, actor) = (id.to_string(), actor.clone());
        let keys = vec![Key::App(id.clone()), Key::AppName(settings.name.clone())];
        let (row, issued) = self
            .registry_decide(keys, move |facts| {
                let old = facts
                    .app(&id)
                    .ok_or_else(|| ApiError::NotFound(format!("no application with id {id}")))?;
                name_is_free(facts, &settings.name, Some(&id))?;
                let mut row = ClientRow {
                    settings: settings.clone(),
                    updated_at: now,
                    ..old.clone()
                };
                let secret = match (
                    old.settings.auth_method.uses_secret(),
                    settings.auth_method.uses_secret(),
                ) {
                    (false, true) => Some(Some(new_hash.clone())),
                    (true, false) => Some(None),
                    _ => None,
                };
                if let Some(hash) = &secret {
                    row.secret_hash.clone_from(hash);
                    row.previous_secret = None;
                    row.secret_rotated_at = Some(now);
                }
                let mut writes = Writes::none();
                clients::update_into(&mut writes, &row);
                audit::record_into(
                    &mut writes,
                    now,
                    &actor,
                    AuditAction::ClientUpdate,
                    &id,
                    json!({"name": settings.name}),
                );
                let issued = matches!(secret, Some(Some(_)));
                Ok((writes, (row, issued)))
            })
            .await?;
        Ok(ClientCreated {
            client: ClientView::from(&row),
            client_secret: issued.then_some(new_secret),
        })
    }

    pub async fn client_set_enabled(
        &self,
        id: &str,
        enabled: bool,
        actor: &Actor,
    ) -> Result<ClientView> {
        actor.may(Power::ManageApps)?;
        if !enabled {
            self.require_reason(actor.reason.as_deref())?;
        }
        let now = self.now().timestamp();
        let (id, actor) = (id.to_string(), actor.clone());
        let row = self
            .registry_write(move |tx| {
                Box::pin(async move {
                    if !clients::set_enabled(tx, &id, enabled, now).await? {
                        return Err(ApiError::NotFound(format!("no application with id {id}")));
                    }
                    let action = if enabled {
                        AuditAction::ClientEnable
                    } else {
                        AuditAction::ClientDisable
                    };
                    audit::record(tx, now, &actor, action, &id, json!({})).await?;
                    clients::get(tx, &id)
                        .await?
                        .ok_or_else(|| ApiError::NotFound(id.clone()))
                })
            })
            .await?;
        Ok(ClientView::from(&row))
    }

    /// Deletes an app with its grants, tokens, codes and consents.
    pub async fn client_delete(&self, id: &str, actor: &Actor) -> Result<()> {
        actor.may(Power::ManageApps)?;
        self.require_reason(actor.reason.as_deref())?;
        let now = self.now().timestamp();
        let (id, actor) = (id.to_string(), actor.clone());
        self.registry_write(move |tx| {
            Box::pin(async move {
                // Its name stays in the event: the audit reads "deleted Budget App" afterwards.
                let name = clients::get(tx, &id).await?.map(|c| c.settings.name);
                if !clients::delete(tx, &id).await? {
                    return Err(ApiError::NotFound(format!("no application with id {id}")));
                }
                let detail = json!({"name": name});
                audit::record(tx, now, &actor, AuditAction::ClientDelete, &id, detail).await?;
                Ok(())
            })
        })
        .await
    }

    /// Issues a new secret. The old one stops working at once, or, with an `overlap`, keeps
    /// working for that long (by the sandbox clock) so the app can be redeployed with the new
    /// one; an earlier overlap still running ends now. At most [`MAX_SECRET_OVERLAP`].
    pub async fn client_rotate_secret(
        &self,
        id: &str,
        overlap: Option<Duration>,
        actor: &Actor,
    ) -> Result<ClientCreated> {
        actor.may(Power::ManageApps)?;
        self.require_reason(actor.reason.as_deref())?;
        let overlap = overlap.filter(|d| *d > Duration::zero());
        if overlap.is_some_and(|d| d > MAX_SECRET_OVERLAP) {
            return Err(ApiError::invalid(
                "overlap",
                format!(
                    "the old secret may keep working for at most {} days",
                    MAX_SECRET_OVERLAP.num_days()
                ),
            ));
        }
        let now = self.now().timestamp();
        let secret = crate::secret::generate();
        let hash = self.hasher().hash("client_secret", &secret);
        let (id, actor) = (id.to_string(), actor.clone());
        let row = self
            .registry_decide(vec![Key::App(id.clone())], move |facts| {
                let old = facts
                    .app(&id)
                    .ok_or_else(|| ApiError::NotFound(format!("no application with id {id}")))?;
                if !old.settings.auth_method.uses_secret() {
                    return Err(ApiError::Refused(format!(
                        "application {id} authenticates with {} and has no secret to rotate",
                        old.settings.auth_method
                    )));
                }
                let previous =
                    overlap
                        .zip(old.secret_hash.clone())
                        .map(|(d, hash)| PreviousSecret {
                            hash,
                            until: now + d.num_seconds(),
                        });
                let row = ClientRow {
                    secret_hash: Some(hash.clone()),
                    previous_secret: previous.clone(),
                    secret_rotated_at: Some(now),
                    updated_at: now,
                    ..old.clone()
                };
                let mut writes = Writes::none();
                clients::update_into(&mut writes, &row);
                audit::record_into(
                    &mut writes,
                    now,
                    &actor,
                    AuditAction::ClientRotateSecret,
                    &id,
                    json!({
                        "overlap_seconds": overlap.map_or(0, |d| d.num_seconds()),
                        "previous_valid_until": previous.as_ref().map(|p| from_unix(p.until)),
                    }),
                );
                Ok((writes, row))
            })
            .await?;
        Ok(ClientCreated {
            client: ClientView::from(&row),
            client_secret: Some(secret),
        })
    }
}

/// The longest a replaced client secret may keep working.
pub const MAX_SECRET_OVERLAP: Duration = Duration::days(30);

/// Apps as the request path sees them: read from the store once, then kept until the registry
/// changes. A change made in this process clears the cache at once; one made by another
/// process bumps `registry_version`, which `Authdesk::sync` watches (every `SYNC_INTERVAL`),
/// so it takes effect within a second as SPEC §5 promises. Admin screens read the store.
///
/// A registry of at most [`CACHE_LIMIT`] apps is held whole (`complete`), so an id that is
/// not there is answered from memory too: a known and an unknown client id cost the same
/// (no store read for the unknown one), and timing does not tell which ids exist. Only once
/// every [`FRESHNESS`] does an unknown id read the registry's version (one row), so an app
/// another process registered a moment ago is found at once.
pub(crate) struct ClientCache {
    inner: std::sync::RwLock<CacheInner>,
    /// When an unknown id last looked at the registry's version (ms since `started`).
    last_look_ms: std::sync::atomic::AtomicU64,
    started: std::time::Instant,
}

#[derive(Default)]
struct CacheInner {
    /// Moves on every clear, so a row read before a clear is not put back after it.
    generation: u64,
    version: Option<String>,
    rows: std::collections::HashMap<String, std::sync::Arc<ClientRow>>,
    /// Every app of the registry is in `rows` (read whole since the last change).
    complete: bool,
}

/// What the cache knows of an id.
pub(crate) enum Cached {
    Found(std::sync::Arc<ClientRow>),
    /// The whole registry is held, and the id is not in it.
    Absent,
    Unknown,
}

impl Default for ClientCache {
    fn default() -> Self {
        ClientCache {
            inner: Default::default(),
            last_look_ms: Default::default(),
            started: std::time::Instant::now(),
        }
    }
}

/// How often, at most, an unknown client id makes the request path look whether the registry
/// changed (an app registered by another process is then found at once).
const FRESHNESS: std::time::Duration = std::time::Duration::from_millis(100);

/// Apps kept at most; beyond it the cache starts over (ids come from clients, unchecked).
pub(crate) const CACHE_LIMIT: usize = 10_000;

impl ClientCache {
    fn get(&self, id: &str) -> Cached {
        let c = self.inner.read().expect("cache lock");
        match c.rows.get(id) {
            Some(r) => Cached::Found(r.clone()),
            None if c.complete => Cached::Absent,
            None => Cached::Unknown,
        }
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.inner.read().expect("cache lock").complete
    }

    /// Holds `rows`, the whole registry as read under `generation`.
    pub(crate) fn fill(&self, generation: u64, rows: Vec<ClientRow>) {
        let mut c = self.inner.write().expect("cache lock");
        if c.generation != generation || rows.len() > CACHE_LIMIT {
            return;
        }
        c.rows = rows
            .into_iter()
            .map(|r| (r.id.clone(), std::sync::Arc::new(r)))
            .collect();
        c.complete = true;
    }

    pub(crate) fn generation(&self) -> u64 {
        self.inner.read().expect("cache lock").generation
    }

    fn insert(&self, generation: u64, row: std::sync::Arc<ClientRow>) {
        let mut c = self.inner.write().expect("cache lock");
        if c.generation != generation {
            return;
        }
        if c.rows.len() >= CACHE_LIMIT {
            c.rows.clear();
            c.complete = false;
        }
        c.rows.insert(row.id.clone(), row);
    }

    pub(crate) fn clear(&self) {
        let mut c = self.inner.write().expect("cache lock");
        c.generation += 1;
        c.rows.clear();
        c.complete = false;
    }

    /// Notes the registry version in the store; a new one clears the cache.
    /// Whether an unknown id should look at the registry's version now (true at most once
    /// every [`FRESHNESS`]).
    fn due_for_a_look(&self) -> bool {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_look_ms.load(std::sync::atomic::Ordering::Relaxed);
        (last == 0 || now.saturating_sub(last) >= FRESHNESS.as_millis() as u64)
            && self
                .last_look_ms
                .compare_exchange(
                    last,
                    now.max(1),
                    std::sync::atomic::Ordering::Relaxed,
                    std::sync::atomic::Ordering::Relaxed,
                )
                .is_ok()
    }

    pub(crate) fn observe(&self, version: Option<String>) {
        let mut c = self.inner.write().expect("cache lock");
        if c.version != version {
            c.version = version;
            c.generation += 1;
            c.rows.clear();
            c.complete = false;
        }
    }
}

impl Authdesk {
    /// An app for the request path, from the cache (see `ClientCache`).
    pub(crate) async fn client_cached(
        &self,
        id: &str,
    ) -> Result<Option<std::sync::Arc<ClientRow>>> {
        match self.clients.get(id) {
            Cached::Found(c) => return Ok(Some(c)),
            // An app another process registered a moment ago is not in the copy yet: at most
            // every `FRESHNESS` an unknown id looks at the registry's version (one small read),
            // so a new app works at once, and most unknown ids still cost no read.
            Cached::Absent if !self.clients.due_for_a_look() => return Ok(None),
            Cached::Absent => {
                let version = {
                    let mut conn = self.store().read().await?;
                    settings::get(&mut conn, settings::REGISTRY_VERSION).await?
                };
                self.clients.observe(version);
                if let Cached::Absent = self.clients.get(id) {
                    return Ok(None);
                }
            }
            Cached::Unknown => {}
        }
        let generation = self.clients.generation();
        let row = {
            let mut conn = self.store().read().await?;
            clients::get(&mut conn, id).await?
        };
        Ok(row.map(|r| {
            let r = std::sync::Arc::new(r);
            self.clients.insert(generation, r.clone());
            r
        }))
    }
}

/// Refuses an app name that reads like another app's (`authdesk_core::names`): people pick an
/// app by its name in lists, audit lines and consent pages. `this` is the app being renamed.
/// Whether `name` is free for the app `this` (or a new app), by the facts a unit read
/// (`Key::AppName`).
fn name_is_free(facts: &Facts, name: &str, this: Option<&str>) -> Result<()> {
    match facts.app_named(name) {
        Some((id, existing)) if Some(id) != this => Err(ApiError::invalid(
            "name",
            names::taken(NameKind::App, name, existing),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> ClientRow {
        ClientRow {
            id: id.into(),
            settings: validate(&ClientDraft {
                name: format!("App {id}"),
                grant_types: vec![GrantType::ClientCredentials],
                ..Default::default()
            })
            .unwrap(),
            secret_hash: None,
            secret_rotated_at: None,
            previous_secret: None,
            enabled: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// An unknown client id is answered from memory once the registry is held whole, as a
    /// known one is: no store read tells by its time which ids exist (issue 21).
    #[test]
    fn a_registry_held_whole_answers_unknown_ids_from_memory() {
        let cache = ClientCache::default();
        assert!(matches!(cache.get("a"), Cached::Unknown));
        cache.fill(cache.generation(), vec![row("a"), row("b")]);
        assert!(matches!(cache.get("a"), Cached::Found(r) if r.id == "a"));
        assert!(matches!(cache.get("nope"), Cached::Absent));
        // A change in this process: nothing is known until the registry is read again.
        cache.clear();
        assert!(matches!(cache.get("nope"), Cached::Unknown));
        // A fill read before a change is stale and ignored.
        let before = cache.generation();
        cache.clear();
        cache.fill(before, vec![row("a")]);
        assert!(matches!(cache.get("nope"), Cached::Unknown));
        // A registry too large to hold is never called whole.
        let many: Vec<ClientRow> = (0..=CACHE_LIMIT).map(|i| row(&i.to_string())).collect();
        cache.fill(cache.generation(), many);
        assert!(matches!(cache.get("nope"), Cached::Unknown));
    }
}
