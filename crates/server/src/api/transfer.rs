//! `authdesk export` / `import`: the registry — apps, people, and on request the apps' secret
//! hashes and the signing keys — as one versioned JSON document. It is how an app configured in
//! a sandbox is promoted to a production directory, and how a registry moves elsewhere.
//!
//! Rules, in one place:
//! - Apps travel as the registration an administrator would submit (`ClientDraft`) and are
//!   validated again on import, exactly as `clients create` validates: a hand-edited file
//!   cannot bring in what the console would refuse. Their ids stay the same.
//! - Secrets are stored only as HMACs under the data directory's own hash key, so a secret hash
//!   means something only under that key. `--with-secrets` writes the hashes and the key's
//!   fingerprint (never the key); an import brings them in only where the key is the same (the
//!   same directory, or a copy of it) and refuses otherwise. Without secrets, every imported
//!   app that needs one gets a new secret, shown once in the import's answer.
//! - People travel with their argon2 password hashes (self-contained, not keyed) and claims.
//! - Signing keys only with `--with-keys`; their public halves are derived again from the
//!   private keys. A key identical to one already stored is skipped; an active key in the file
//!   becomes the signer, the previous signer stays published until its tokens expire.
//! - All or nothing: one unit of work; an id, user name or key id already taken by something
//!   else refuses the whole import, naming them.

use super::audit::{self, AuditAction};
use super::{Actor, ApiError, Authdesk, Result};
use crate::signing::{self, Alg};
use authdesk_core::client::ClientDraft;
use authdesk_core::names::{self, NameKind, for_terminal};
use authdesk_core::roles::Power;
use authdesk_store::clients::{self, ClientRow};
use authdesk_store::keys::{self, KeyRow};
use authdesk_store::users::{self, UserRow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

/// What the document says it is.
pub const FORMAT: &str = "authdesk-registry";
/// The version this program writes; it reads this one and older. Version 2 added the apps'
/// Banno-profile fields (app type, associated user, ID-token algorithm, JWKS URI, logout
/// URIs) and, with keys, the access-token algorithm.
pub const VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFile {
    pub format: String,
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    /// The fingerprint of the hash key the apps' `secret_hash`es are under (with secrets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key_fingerprint: Option<String>,
    pub apps: Vec<AppEntry>,
    pub users: Vec<UserEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyEntry>,
    /// With keys: the algorithm access tokens are signed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_alg: Option<Alg>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    pub client_id: String,
    pub enabled: bool,
    pub registration: ClientDraft,
    /// Base64 of the stored HMAC (with secrets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub sub: String,
    pub username: String,
    /// An argon2 PHC string.
    pub password_hash: String,
    pub claims: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub kid: String,
    pub alg: String,
    /// Base64 of the PKCS#8 DER private key.
    pub private_pkcs8: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// What to put in an export besides the registrations and people.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    pub with_secrets: bool,
    pub with_keys: bool,
}

/// What an import did. `new_secrets` are shown once, like `clients create`'s.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub apps: usize,
    pub users: usize,
    pub keys: usize,
    /// Keys already stored, identical, so skipped.
    pub keys_already_present: usize,
    pub new_secrets: Vec<NewSecret>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewSecret {
    pub client_id: String,
    pub name: String,
    pub client_secret: String,
}

fn time(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

/// Largest id or name accepted from a file (ids this program makes are 36 characters).
const MAX_ID: usize = 200;

fn check_id(what: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_ID || id.chars().any(|c| c.is_control() || c == ' ') {
        return Err(ApiError::Refused(format!(
            "{what} {:?} is not a usable id (1 to {MAX_ID} characters, no spaces)",
            authdesk_core::error::shown(id)
        )));
    }
    Ok(())
}

/// Refuses the second occurrence of any id within the file itself.
fn unique<'a>(what: &str, ids: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(ApiError::Refused(format!(
                "the file names {what} {:?} twice",
                authdesk_core::error::shown(id)
            )));
        }
    }
    Ok(())
}

fn unique_names<'a>(what: &str, names: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashMap::new();
    for name in names {
        if let Some(first) = seen.insert(names::key_of(name), name) {
            return Err(ApiError::Refused(format!(
                "the file names {what} {:?} twice (as {:?})",
                names::for_terminal(first),
                names::for_terminal(name)
            )));
        }
    }
    Ok(())
}

/// Parses a file's text, refusing other documents and newer versions with a clear message.
pub fn parse(text: &str) -> Result<RegistryFile> {
    let head: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::Refused(format!("not a JSON document: {e}")))?;
    if head.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(ApiError::Refused(format!(
            "not an Authdesk registry export (its \"format\" is not \"{FORMAT}\")"
        )));
    }
    match head.get("version").and_then(Value::as_u64) {
        Some(v) if v >= 1 && v <= u64::from(VERSION) => {}
        Some(v) => {
            return Err(ApiError::Refused(format!(
                "the export is version {v}; this Authdesk reads versions 1 to {VERSION}. Import it with a newer Authdesk"
            )));
        }
        None => return Err(ApiError::Refused("the export has no version".into())),
    }
    serde_json::from_value(head)
        .map_err(|e| ApiError::Refused(format!("the export is not readable: {e}")))
}

impl Authdesk {
    /// The registry as a versioned document (audited: what was exported, by whom).
    pub async fn export(&self, options: ExportOptions, actor: &Actor) -> Result<RegistryFile> {
        actor.may(Power::Transfer)?;
        let mut conn = self.store().read().await?;
        let apps = clients::list(&mut conn, "", i64::MAX, 0).await?;
        let people = users::list(&mut conn, i64::MAX, 0).await?;
        let stored_keys = if options.with_keys {
            keys::all(&mut conn).await?
        } else {
            Vec::new()
        };
        drop(conn);
        let access_token_alg = options.with_keys.then(|| self.access_token_alg());
        let file = RegistryFile {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: self.now(),
            secret_key_fingerprint: options.with_secrets.then(|| self.hasher().fingerprint()),
            apps: apps
                .iter()
                .map(|c| AppEntry {
                    client_id: c.id.clone(),
                    enabled: c.enabled,
                    registration: ClientDraft::from(&c.settings),
                    secret_hash: options
                        .with_secrets
                        .then(|| c.secret_hash.as_ref().map(|h| B64.encode(h)))
                        .flatten(),
                })
                .collect(),
            users: people
                .into_iter()
                .map(|u| UserEntry {
                    sub: u.sub,
                    username: u.username,
                    password_hash: u.password_hash,
                    claims: u.claims,
                })
                .collect(),
            keys: stored_keys
                .into_iter()
                .rev()
                .map(|k| KeyEntry {
                    kid: k.kid,
                    alg: k.alg,
                    private_pkcs8: B64.encode(&k.private_der),
                    created_at: time(k.created_at),
                    retired_at: k.retired_at.map(time),
                })
                .collect(),
            access_token_alg,
        };
        let now = self.now().timestamp();
        let detail = json!({
            "apps": file.apps.len(),
            "users": file.users.len(),
            "keys": file.keys.len(),
            "with_secrets": options.with_secrets,
            "with_keys": options.with_keys,
        });
        let actor = actor.clone();
        self.write(move |tx| {
            Box::pin(async move {
                audit::record(
                    tx,
                    now,
                    &actor,
                    AuditAction::RegistryExport,
                    "registry",
                    detail,
                )
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(file)
    }

    /// Brings a registry document in, all or nothing (see the module's rules).
    pub async fn import(&self, file: RegistryFile, actor: &Actor) -> Result<ImportReport> {
        actor.may(Power::Transfer)?;
        let now = self.now().timestamp();
        unique("app id", file.apps.iter().map(|a| a.client_id.as_str()))?;
        unique("person", file.users.iter().map(|u| u.sub.as_str()))?;
        // Names that read the same (authdesk_core::names) are one name, within the file too.
        unique_names("user name", file.users.iter().map(|u| u.username.as_str()))?;
        unique_names(
            "app name",
            file.apps.iter().map(|a| a.registration.name.as_str()),
        )?;
        unique("key id", file.keys.iter().map(|k| k.kid.as_str()))?;
        let own_key = self.hasher().fingerprint();
        let carries_secrets = file.apps.iter().any(|a| a.secret_hash.is_some());
        if carries_secrets && file.secret_key_fingerprint.as_deref() != Some(own_key.as_str()) {
            return Err(ApiError::Refused(
                "the file's app secrets were hashed under another data directory's key and cannot be checked here. Export again without --with-secrets: the imported apps then get new secrets, shown once".into(),
            ));
        }

        let mut apps = Vec::with_capacity(file.apps.len());
        let mut new_secrets = Vec::new();
        for (i, a) in file.apps.iter().enumerate() {
            check_id("app id", &a.client_id)?;
            let settings = super::clients::validate(&a.registration).map_err(|e| {
                ApiError::Refused(format!(
                    "app {} ({:?}, id {}): {e}",
                    i + 1,
                    a.registration.name,
                    a.client_id
                ))
            })?;
            let uses_secret = settings.auth_method.uses_secret();
            let secret_hash = match (&a.secret_hash, uses_secret) {
                (Some(h), true) => Some(B64.decode(h).map_err(|_| {
                    ApiError::Refused(format!("app id {}: secret_hash is not base64", a.client_id))
                })?),
                (Some(_), false) => {
                    return Err(ApiError::Refused(format!(
                        "app id {}: a secret_hash for an app whose authentication uses none",
                        a.client_id
                    )));
                }
                (None, true) => {
                    let secret = crate::secret::generate();
                    let hash = self.hasher().hash("client_secret", &secret);
                    new_secrets.push(NewSecret {
                        client_id: a.client_id.clone(),
                        name: settings.name.clone(),
                        client_secret: secret,
                    });
                    Some(hash)
                }
                (None, false) => None,
            };
            apps.push(ClientRow {
                id: a.client_id.clone(),
                secret_rotated_at: secret_hash.as_ref().map(|_| now),
                secret_hash,
                previous_secret: None,
                settings,
                enabled: a.enabled,
                created_at: now,
                updated_at: now,
            });
        }

        let mut people = Vec::with_capacity(file.users.len());
        for u in &file.users {
            check_id("person", &u.sub)?;
            let name = names::parse(NameKind::User, &u.username)
                .map_err(|e| ApiError::Refused(format!("person {}: {e}", u.sub)))?
                .shown;
            if !crate::secret::is_password_hash(&u.password_hash) {
                return Err(ApiError::Refused(format!(
                    "person {} ({name}): password_hash is not an argon2 hash",
                    u.sub
                )));
            }
            super::users::check_claims(&u.claims)
                .map_err(|e| ApiError::Refused(format!("person {} ({name}): {e}", u.sub)))?;
            people.push(UserRow {
                sub: u.sub.clone(),
                username: name,
                password_hash: u.password_hash.clone(),
                claims: u.claims.clone(),
                created_at: now,
                updated_at: now,
            });
        }

        let mut new_keys = Vec::with_capacity(file.keys.len());
        for k in &file.keys {
            check_id("key id", &k.kid)?;
            let alg =
                Alg::parse(&k.alg).map_err(|e| ApiError::Refused(format!("key {}: {e}", k.kid)))?;
            let der = B64.decode(&k.private_pkcs8).map_err(|_| {
                ApiError::Refused(format!("key {}: private_pkcs8 is not base64", k.kid))
            })?;
            let row = signing::imported(
                alg,
                &k.kid,
                der,
                k.created_at.timestamp(),
                k.retired_at.map(|t| t.timestamp()),
            )
            .map_err(|e| ApiError::Refused(format!("key {}: {e}", k.kid)))?;
            new_keys.push(row);
        }

        let actor = actor.clone();
        let access_alg = file.access_token_alg;
        let report = self
            .write(move |tx| {
                Box::pin(async move {
                    insert_all(tx, now, &actor, apps, people, new_keys, access_alg).await
                })
            })
            .await?;
        self.sync().await?;
        Ok(ImportReport {
            new_secrets,
            ..report
        })
    }
}

/// The import's one unit of work: refuses what is taken, inserts the rest, audits each.
async fn insert_all(
    tx: &mut authdesk_store::Conn,
    now: i64,
    actor: &Actor,
    apps: Vec<ClientRow>,
    people: Vec<UserRow>,
    new_keys: Vec<KeyRow>,
    access_alg: Option<Alg>,
) -> Result<ImportReport> {
    let mut taken = Vec::new();
    for a in &apps {
        if clients::get(tx, &a.id).await?.is_some() {
            taken.push(format!("app id {}", a.id));
        } else if let Some((_, existing)) = clients::named(tx, &a.settings.name).await? {
            taken.push(format!(
                "app name {} (as {})",
                for_terminal(&a.settings.name),
                for_terminal(&existing)
            ));
        }
    }
    for u in &people {
        if users::get(tx, &u.sub).await?.is_some() {
            taken.push(format!("person {}", u.sub));
        } else if let Some(existing) = users::by_username(tx, &u.username).await? {
            taken.push(format!(
                "user name {} (as {})",
                for_terminal(&u.username),
                for_terminal(&existing.username)
            ));
        }
    }
    let stored: Vec<KeyRow> = keys::all(tx).await?;
    let mut keys_already_present = 0;
    let mut fresh_keys = Vec::new();
    for k in new_keys {
        match stored.iter().find(|s| s.kid == k.kid) {
            Some(s) if s.private_der == k.private_der => keys_already_present += 1,
            Some(_) => taken.push(format!("key id {} (a different key)", k.kid)),
            None => fresh_keys.push(k),
        }
    }
    if !taken.is_empty() {
        let more = taken.len().saturating_sub(10);
        taken.truncate(10);
        return Err(ApiError::Refused(format!(
            "nothing was imported: already here: {}{}",
            taken.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )));
    }
    for a in &apps {
        clients::insert(tx, a).await?;
        audit::record(
            tx,
            now,
            actor,
            AuditAction::ClientCreate,
            &a.id,
            json!({"name": a.settings.name, "imported": true}),
        )
        .await?;
    }
    for u in &people {
        users::insert(tx, u).await?;
        audit::record(
            tx,
            now,
            actor,
            AuditAction::UserCreate,
            &u.sub,
            json!({"username": u.username, "imported": true}),
        )
        .await?;
    }
    // At most one signer per algorithm: of the file's active keys of an algorithm, the newest
    // stays active and replaces this registry's.
    let mut signers: Vec<(String, String)> = Vec::new();
    for k in fresh_keys.iter().filter(|k| k.retired_at.is_none()) {
        let newest = fresh_keys
            .iter()
            .filter(|o| o.retired_at.is_none() && o.alg == k.alg)
            .max_by_key(|o| o.created_at)
            .is_some_and(|o| o.kid == k.kid);
        if newest {
            keys::retire_active(tx, &k.alg, now).await?;
            signers.push((k.alg.clone(), k.kid.clone()));
        }
    }
    for mut k in fresh_keys.iter().cloned() {
        if k.retired_at.is_none() && !signers.iter().any(|(_, kid)| *kid == k.kid) {
            k.retired_at = Some(now);
        }
        keys::insert(tx, &k).await?;
    }
    let signer = signers.first().map(|(_, kid)| kid.clone());
    if let Some(alg) = access_alg
        && signers.iter().any(|(a, _)| a == alg.as_str())
    {
        authdesk_store::settings::set(tx, authdesk_store::settings::ACCESS_TOKEN_ALG, alg.as_str())
            .await?;
    }
    let report = ImportReport {
        apps: apps.len(),
        users: people.len(),
        keys: fresh_keys.len(),
        keys_already_present,
        new_secrets: Vec::new(),
    };
    audit::record(
        tx,
        now,
        actor,
        AuditAction::RegistryImport,
        "registry",
        json!({
            "apps": report.apps,
            "users": report.users,
            "keys": report.keys,
            "signer": signer,
        }),
    )
    .await?;
    Ok(report)
}
