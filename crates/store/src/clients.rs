//! `clients`: external-application configurations.

//!
//! Every change here bumps `settings.registry_version` in the same unit of work: servers cache
//! apps and drop the cache when the version moves (within a second, for other processes).

use crate::facts::{Key, Writes};
use crate::{Conn, Result, StoreError, json, settings, to_json};
use authdesk_core::alg::Alg;
use authdesk_core::client::{AppType, AuthMethod, ClientSettings, ClientType, GrantType};
use authdesk_core::lifetime::LifetimeOverrides;
use authdesk_core::names::key_of;
use authdesk_core::redirect_uri::RedirectUri;
use authdesk_core::scope::Scope;
use serde::{Deserialize, Serialize};

/// The JSON in `clients.settings`: the stored schema, kept apart from the domain's
/// [`ClientSettings`] so a change there cannot silently change what is on disk (a test pins the
/// layout). Lifetimes are stored as the app's overrides and resolved when read.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSettings {
    name: String,
    partner_name: Option<String>,
    client_type: ClientType,
    auth_method: AuthMethod,
    redirect_uris: Vec<RedirectUri>,
    scopes: Scope,
    custom_claims: Vec<String>,
    grant_types: Vec<GrantType>,
    public_key: Option<String>,
    consent_required: bool,
    /// Absent in settings stored before it existed.
    #[serde(default)]
    resource_server: bool,
    /// Absent in settings stored before DPoP (unbound, as they were then).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    dpop_bound_access_tokens: bool,
    /// Absent in settings stored before PAR (not required, as then).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    require_pushed_authorization_requests: bool,
    lifetimes: LifetimeOverrides,
    /// These five: absent in settings stored before the Banno profile (a standard app whose
    /// ID tokens are RS256, as they were then).
    #[serde(default)]
    app_type: AppType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    associated_user: Option<String>,
    #[serde(default = "rs256")]
    id_token_alg: Alg,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jwks_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    post_logout_redirect_uris: Vec<RedirectUri>,
}

fn rs256() -> Alg {
    Alg::RS256
}

impl From<&ClientSettings> for StoredSettings {
    fn from(s: &ClientSettings) -> Self {
        StoredSettings {
            name: s.name.clone(),
            partner_name: s.partner_name.clone(),
            client_type: s.client_type,
            auth_method: s.auth_method,
            redirect_uris: s.redirect_uris.clone(),
            scopes: s.scopes.clone(),
            custom_claims: s.custom_claims.clone(),
            grant_types: s.grant_types.clone(),
            public_key: s.public_key.clone(),
            consent_required: s.consent_required,
            resource_server: s.resource_server,
            dpop_bound_access_tokens: s.dpop_bound_access_tokens,
            require_pushed_authorization_requests: s.require_pushed_authorization_requests,
            lifetimes: s.lifetimes.overrides(),
            app_type: s.app_type,
            associated_user: s.associated_user.clone(),
            id_token_alg: s.id_token_alg,
            jwks_uri: s.jwks_uri.clone(),
            post_logout_redirect_uris: s.post_logout_redirect_uris.clone(),
        }
    }
}

impl TryFrom<StoredSettings> for ClientSettings {
    type Error = StoreError;
    fn try_from(s: StoredSettings) -> Result<Self> {
        Ok(ClientSettings {
            lifetimes: s
                .lifetimes
                .resolve()
                .map_err(|e| StoreError::Corrupt(format!("client lifetimes: {e}")))?,
            name: s.name,
            partner_name: s.partner_name,
            client_type: s.client_type,
            auth_method: s.auth_method,
            redirect_uris: s.redirect_uris,
            scopes: s.scopes,
            custom_claims: s.custom_claims,
            grant_types: s.grant_types,
            public_key: s.public_key,
            consent_required: s.consent_required,
            resource_server: s.resource_server,
            dpop_bound_access_tokens: s.dpop_bound_access_tokens,
            require_pushed_authorization_requests: s.require_pushed_authorization_requests,
            app_type: s.app_type,
            associated_user: s.associated_user,
            id_token_alg: s.id_token_alg,
            jwks_uri: s.jwks_uri,
            post_logout_redirect_uris: s.post_logout_redirect_uris,
        })
    }
}

fn stored(s: &ClientSettings) -> String {
    to_json(&StoredSettings::from(s))
}

/// A replaced client secret still accepted until `until` (Unix seconds, sandbox clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    pub hash: Vec<u8>,
    pub until: i64,
}

#[derive(Debug, Clone)]
pub struct ClientRow {
    pub id: String,
    pub settings: ClientSettings,
    pub secret_hash: Option<Vec<u8>>,
    pub secret_rotated_at: Option<i64>,
    /// The secret the last rotation replaced, while its overlap window lasts.
    pub previous_secret: Option<PreviousSecret>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Raw {
    id: String,
    settings: String,
    secret_hash: Option<Vec<u8>>,
    secret_rotated_at: Option<i64>,
    previous_secret_hash: Option<Vec<u8>>,
    previous_secret_until: Option<i64>,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Raw> for ClientRow {
    type Error = crate::StoreError;
    fn try_from(r: Raw) -> Result<Self> {
        Ok(ClientRow {
            settings: json::<StoredSettings>("client settings", &r.settings)?.try_into()?,
            id: r.id,
            secret_hash: r.secret_hash,
            secret_rotated_at: r.secret_rotated_at,
            previous_secret: match (r.previous_secret_hash, r.previous_secret_until) {
                (Some(hash), Some(until)) => Some(PreviousSecret { hash, until }),
                _ => None,
            },
            enabled: r.enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "id, CAST(settings AS TEXT) AS settings, secret_hash, secret_rotated_at, previous_secret_hash, previous_secret_until, enabled, created_at, updated_at";

const INSERT: &str = "INSERT INTO clients (id, name, name_key, settings, secret_hash, secret_rotated_at, enabled, created_at, updated_at) VALUES (?, ?, ?, json(?), ?, ?, ?, ?, ?)";

/// [`insert`], as writes of a decision.
pub fn insert_into(w: &mut Writes, c: &ClientRow) {
    w.changes(Key::App(c.id.clone()))
        .statement(INSERT)
        .bind(c.id.clone())
        .bind(c.settings.name.clone())
        .bind(key_of(&c.settings.name))
        .bind(stored(&c.settings))
        .bind(c.secret_hash.clone())
        .bind(c.secret_rotated_at)
        .bind(c.enabled)
        .bind(c.created_at)
        .bind(c.updated_at);
    settings::bump_into(w, settings::REGISTRY_VERSION);
}

/// Stores `after` over the app of its id — settings, name, secret, previous secret — as writes
/// of a decision (one statement: PostgreSQL runs a unit's statements as one, where a row can
/// change only once).
pub fn update_into(w: &mut Writes, after: &ClientRow) {
    w.changes(Key::App(after.id.clone()))
        .statement(UPDATE)
        .bind(after.settings.name.clone())
        .bind(key_of(&after.settings.name))
        .bind(stored(&after.settings))
        .bind(after.secret_hash.clone())
        .bind(after.secret_rotated_at)
        .bind(after.previous_secret.as_ref().map(|p| p.hash.clone()))
        .bind(after.previous_secret.as_ref().map(|p| p.until))
        .bind(after.updated_at)
        .bind(after.id.clone());
    settings::bump_into(w, settings::REGISTRY_VERSION);
}

pub async fn insert(conn: &mut Conn, c: &ClientRow) -> Result<()> {
    crate::on!(&mut *conn, INSERT, |db, sql| sqlx::query(sql)
        .bind(&c.id)
        .bind(&c.settings.name)
        .bind(key_of(&c.settings.name))
        .bind(stored(&c.settings))
        .bind(&c.secret_hash)
        .bind(c.secret_rotated_at)
        .bind(c.enabled)
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(&mut *db)
        .await
        .map(|r| r.rows_affected()))?;
    settings::bump(conn, settings::REGISTRY_VERSION).await
}

/// The id and name of the app whose name reads as `name`, if there is one (names are unique
/// by key: `authdesk_core::names`).
pub async fn named(conn: &mut Conn, name: &str) -> Result<Option<(String, String)>> {
    Ok(crate::on!(
        &mut *conn,
        "SELECT id, name FROM clients WHERE name_key = ?",
        |db, sql| sqlx::query_as(sql)
            .bind(key_of(name))
            .fetch_optional(&mut *db)
            .await
    )?)
}

/// Gives every app stored before name keys existed its key; like
/// [`crate::users::backfill_keys`], a name that reads like an earlier one stays, its key
/// marked with its id, and is returned — (its name, the name it reads like).
pub async fn backfill_keys(conn: &mut Conn) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String)> = crate::on!(
        &mut *conn,
        "SELECT id, name FROM clients WHERE name_key IS NULL ORDER BY created_at, id",
        |db, sql| sqlx::query_as(sql).fetch_all(&mut *db).await
    )?;
    let mut collisions = Vec::new();
    for (id, name) in rows {
        let key = match named(conn, &name).await? {
            None => key_of(&name),
            Some((_, first)) => {
                collisions.push((name.clone(), first));
                format!("{}\u{1}{id}", key_of(&name))
            }
        };
        crate::on!(
            &mut *conn,
            "UPDATE clients SET name_key = ? WHERE id = ?",
            |db, sql| sqlx::query(sql)
                .bind(&key)
                .bind(&id)
                .execute(&mut *db)
                .await
                .map(|r| r.rows_affected())
        )?;
    }
    Ok(collisions)
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<ClientRow>> {
    get_for_decision(conn, id, false).await
}

/// [`get`], locked until the transaction ends when `lock` is true (PostgreSQL:
/// [`crate::facts::read`]).
pub(crate) async fn get_for_decision(
    conn: &mut Conn,
    id: &str,
    lock: bool,
) -> Result<Option<ClientRow>> {
    let raw: Option<Raw> = crate::on!(
        &mut *conn,
        &format!(
            "SELECT {COLUMNS} FROM clients WHERE id = ?{}",
            crate::for_update(lock)
        ),
        |db, sql| sqlx::query_as(sql).bind(id).fetch_optional(&mut *db).await
    )?;
    raw.map(ClientRow::try_from).transpose()
}

/// Apps whose name or id contains `search` (all when empty), by name, a page at a time.
pub async fn list(
    conn: &mut Conn,
    search: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<ClientRow>> {
    let pattern = format!(
        "%{}%",
        search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let raws: Vec<Raw> = crate::on!(
        &mut *conn,
        &format!(
            "SELECT {COLUMNS} FROM clients WHERE name LIKE ?1 ESCAPE '\\' OR id LIKE ?1 ESCAPE '\\' ORDER BY name, id LIMIT ?2 OFFSET ?3"
        ),
        |db, sql| sqlx::query_as(sql)
            .bind(pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *db)
            .await
    )?;
    raws.into_iter().map(ClientRow::try_from).collect()
}

const UPDATE: &str = "UPDATE clients SET name = ?, name_key = ?, settings = json(?), secret_hash = ?, secret_rotated_at = ?, previous_secret_hash = ?, previous_secret_until = ?, updated_at = ? WHERE id = ?";

pub async fn set_enabled(conn: &mut Conn, id: &str, enabled: bool, now: i64) -> Result<bool> {
    let r = crate::on!(
        &mut *conn,
        "UPDATE clients SET enabled = ?, updated_at = ? WHERE id = ?",
        |db, sql| sqlx::query(sql)
            .bind(enabled)
            .bind(now)
            .bind(id)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    )?;
    changed(conn, r).await
}

pub async fn delete(conn: &mut Conn, id: &str) -> Result<bool> {
    let r = crate::on!(&mut *conn, "DELETE FROM clients WHERE id = ?", |db, sql| {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut *db)
            .await
            .map(|r| r.rows_affected())
    })?;
    changed(conn, r).await
}

/// Bumps the registry version when a statement changed an app; says whether it did.
async fn changed(conn: &mut Conn, rows: u64) -> Result<bool> {
    if rows == 1 {
        settings::bump(conn, settings::REGISTRY_VERSION).await?;
    }
    Ok(rows == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use authdesk_core::client::ClientDraft;
    use authdesk_core::lifetime::LifetimeOverrides;

    /// The stored layout is a schema: rows written by earlier versions must read back.
    #[test]
    fn the_stored_layout_is_pinned() {
        let settings = ClientDraft {
            name: "Budget app".into(),
            redirect_uris: vec!["https://a.example/cb".into()],
            lifetimes: LifetimeOverrides {
                access_token: Some(300),
                ..Default::default()
            },
            ..Default::default()
        }
        .validate()
        .unwrap();
        let json = stored(&settings);
        assert_eq!(
            json,
            r#"{"name":"Budget app","partner_name":null,"client_type":"confidential","auth_method":"client_secret_basic","redirect_uris":["https://a.example/cb"],"scopes":"openid profile email offline_access","custom_claims":[],"grant_types":["authorization_code","refresh_token"],"public_key":null,"consent_required":true,"resource_server":false,"lifetimes":{"access_token":300,"id_token":null,"refresh_token":null,"chain":null},"app_type":"standard","id_token_alg":"RS256"}"#
        );
        let back: ClientSettings = crate::json::<StoredSettings>("s", &json)
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(back, settings);
        assert_eq!(back.lifetimes.access_token, 300);
        // Written before resource_server existed.
        let old = json.replace(r#""resource_server":false,"#, "");
        let back: ClientSettings = crate::json::<StoredSettings>("s", &old)
            .unwrap()
            .try_into()
            .unwrap();
        assert!(!back.resource_server);
        // Written before the Banno profile's fields: a standard app with RS256 ID tokens.
        let old = json.replace(r#","app_type":"standard","id_token_alg":"RS256""#, "");
        let back: ClientSettings = crate::json::<StoredSettings>("s", &old)
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(back, settings);
        // A service account with its fields.
        let sa = json.replace(
            r#""app_type":"standard","id_token_alg":"RS256""#,
            r#""app_type":"service_account","associated_user":"sub-1","id_token_alg":"ES256","jwks_uri":"https://a.example/jwks","post_logout_redirect_uris":["https://a.example/bye"]"#,
        );
        let back: ClientSettings = crate::json::<StoredSettings>("s", &sa)
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(back.app_type, AppType::ServiceAccount);
        assert_eq!(back.associated_user.as_deref(), Some("sub-1"));
        assert_eq!(back.id_token_alg, Alg::ES256);
        assert_eq!(stored(&back), sa);
        // Lifetimes longer than the defaults are not ours: refused as unreadable, not used.
        let longer = json.replace(r#""access_token":300"#, r#""access_token":9999"#);
        let read: Result<ClientSettings> = crate::json::<StoredSettings>("s", &longer)
            .unwrap()
            .try_into();
        assert!(matches!(read, Err(StoreError::Corrupt(_))));
    }
}
