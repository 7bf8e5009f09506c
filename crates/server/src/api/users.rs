//! Sandbox users: the people who log in at the sandbox issuer.

use super::{Actor, ApiError, Authdesk, Page, Result, audit};
use crate::api::audit::AuditAction;
use crate::secret;
use authdesk_core::claims;
use authdesk_core::clock::from_unix;
use authdesk_core::names::{self, NameKind, taken};
use authdesk_core::roles::Power;
use authdesk_store::facts::{Key, Writes};
use authdesk_store::users::{self, UserRow};
use authdesk_store::{consents, grants, sessions};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct UserView {
    pub sub: String,
    pub username: String,
    pub claims: Map<String, Value>,
    pub created_at: DateTime<Utc>,
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> Self {
        UserView {
            sub: u.sub.clone(),
            username: u.username.clone(),
            claims: u.claims.clone(),
            created_at: from_unix(u.created_at),
        }
    }
}

pub(crate) fn check_claims(c: &Map<String, Value>) -> Result<()> {
    for k in c.keys() {
        if !claims::is_known_user_claim(k) {
            return Err(ApiError::invalid(
                "claims",
                format!("'{k}' is not a standard OIDC claim nor a URI-named custom claim"),
            ));
        }
    }
    Ok(())
}

/// How long a login may wait for a free password slot before it is refused as overload (a
/// person at a login page would rather wait a few seconds than retry).
const PASSWORD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl Authdesk {
    /// A sandbox user's claims as released: with sample values of Banno's public custom
    /// claims where the user has none (what an app reads from a real institution), derived
    /// from the `sub` rather than stored; a production user's as stored.
    pub(crate) fn with_sandbox_samples(
        &self,
        sub: &str,
        mut given: Map<String, Value>,
    ) -> Map<String, Value> {
        if self.mode() == super::Mode::Sandbox {
            for (k, v) in claims::sandbox_samples(sub) {
                given.entry(k).or_insert(v);
            }
        }
        given
    }

    /// Runs argon2 (about 19 MiB and tens of milliseconds each) on a blocking thread, at most
    /// one per core at a time, in working memory kept between runs: concurrent logins queue
    /// instead of multiplying memory. The slot and the memory belong to the blocking work, not
    /// to the request: a client that hangs up mid-login frees neither early.
    pub(crate) async fn password_work<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut secret::PasswordMemory) -> T + Send + 'static,
    ) -> Result<T> {
        let slot = tokio::time::timeout(PASSWORD_WAIT, self.password_slots.clone().acquire_owned())
            .await
            .map_err(|_| {
                ApiError::Unavailable(format!(
                    "too many logins at once: none could start within {} s",
                    PASSWORD_WAIT.as_secs()
                ))
            })?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let pool = self.password_memory.clone();
        tokio::task::spawn_blocking(move || {
            let mut memory = pool
                .lock()
                .expect("password memory")
                .pop()
                .unwrap_or_default();
            let result = work(&mut memory);
            pool.lock().expect("password memory").push(memory);
            drop(slot);
            result
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
    }

    pub async fn user_create(
        &self,
        username: &str,
        password: &str,
        claims: Map<String, Value>,
        actor: &Actor,
    ) -> Result<UserView> {
        actor.may(Power::ManagePeople)?;
        let username = names::parse(NameKind::User, username)
            .map_err(|e| ApiError::invalid("username", e))?
            .shown;
        if password.len() < 8 {
            return Err(ApiError::invalid(
                "password",
                "a password has at least 8 characters",
            ));
        }
        check_claims(&claims)?;
        let now = self.now().timestamp();
        let password = password.to_string();
        let hash = self
            .password_work(move |memory| secret::hash_password(&password, memory))
            .await?;
        let row = UserRow {
            sub: uuid::Uuid::new_v4().to_string(),
            username,
            password_hash: hash,
            claims,
            created_at: now,
            updated_at: now,
        };
        let (stored, actor) = (row.clone(), actor.clone());
        let keys = vec![Key::UserName(row.username.clone())];
        self.decide(keys, move |facts| {
            if let Some(other) = facts.user_named(&stored.username) {
                return Err(ApiError::invalid(
                    "username",
                    taken(NameKind::User, &stored.username, &other.username),
                ));
            }
            let mut writes = Writes::none();
            users::insert_into(&mut writes, &stored);
            audit::record_into(
                &mut writes,
                now,
                &actor,
                AuditAction::UserCreate,
                &stored.sub,
                json!({"username": stored.username}),
            );
            Ok((writes, ()))
        })
        .await?;
        Ok(UserView::from(&row))
    }

    /// People by user name, a page at a time; with a `term`, only those the console's search
    /// would find (the start of their user name, e-mail or name, or their exact `sub`).
    pub async fn user_list(&self, term: Option<&str>, page: Page) -> Result<Vec<UserView>> {
        let (limit, offset) = page.clamp();
        let mut conn = self.store().read().await?;
        let rows = match term.map(str::trim).filter(|t| !t.is_empty()) {
            Some(term) => users::list_matching(&mut conn, term, limit, offset).await?,
            None => users::list(&mut conn, limit, offset).await?,
        };
        Ok(rows.iter().map(UserView::from).collect())
    }

    pub async fn user_set_claims(
        &self,
        sub: &str,
        claims: Map<String, Value>,
        actor: &Actor,
    ) -> Result<UserView> {
        actor.may(Power::ManagePeople)?;
        check_claims(&claims)?;
        let now = self.now().timestamp();
        let (sub, actor) = (sub.to_string(), actor.clone());
        let row = self
            .write(move |tx| {
                Box::pin(async move {
                    if !users::set_claims(tx, &sub, &claims, now).await? {
                        return Err(ApiError::NotFound(format!("no user with sub {sub}")));
                    }
                    audit::record(tx, now, &actor, AuditAction::UserUpdate, &sub, json!({}))
                        .await?;
                    users::get(tx, &sub)
                        .await?
                        .ok_or_else(|| ApiError::NotFound(sub.clone()))
                })
            })
            .await?;
        Ok(UserView::from(&row))
    }

    pub async fn user_delete(&self, sub: &str, actor: &Actor) -> Result<()> {
        actor.may(Power::ManagePeople)?;
        self.require_reason(actor.reason.as_deref())?;
        let now = self.now().timestamp();
        let (sub, actor) = (sub.to_string(), actor.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let username = users::get(tx, &sub).await?.map(|u| u.username);
                if !users::delete(tx, &sub).await? {
                    return Err(ApiError::NotFound(format!("no user with sub {sub}")));
                }
                // Their grants end with them, in the same transaction: no token of a deleted
                // user refreshes or introspects as active.
                let revoked = grants::revoke(
                    tx,
                    &grants::GrantSelector::User {
                        sub: sub.clone(),
                        client_id: None,
                    },
                    now,
                    &actor.name,
                    "user deleted",
                )
                .await?;
                // And their login sessions and approvals: nothing of theirs signs anyone in.
                let sessions_ended = sessions::delete_for_user(tx, &sub).await?;
                consents::forget(tx, Some(&sub), None).await?;
                audit::record(
                    tx,
                    now,
                    &actor,
                    AuditAction::UserDelete,
                    &sub,
                    json!({"username": username, "grants_revoked": revoked, "sessions_ended": sessions_ended}),
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Checks a user name and password; the same work is done for unknown names.
    pub(crate) async fn user_authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRow>> {
        let user = {
            let mut conn = self.store().read().await?;
            users::by_username(&mut conn, username).await?
        };
        let stored = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| secret::dummy_password_hash().to_string());
        let password = password.to_string();
        let ok = self
            .password_work(move |memory| secret::verify_password(&password, &stored, memory))
            .await?;
        Ok(user.filter(|_| ok))
    }
}
