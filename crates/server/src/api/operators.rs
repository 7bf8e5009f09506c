//! Operators: the people who use the console and the CLI on a registry, each with a role
//! (`authdesk_core::roles`). Admins manage them (`authdesk operators …`, the console's
//! Operators screen); a production registry's console signs them in, with the wrong-password
//! budgets end users have (`authdesk_core::login`). A registry always keeps one enabled admin.

use super::audit::AuditAction;
use super::{Actor, ApiError, Authdesk, Result, audit};
use crate::secret;
use authdesk_core::login;
use authdesk_core::names::{self, NameKind};
use authdesk_core::roles::{Power, Role};
use authdesk_store::facts::{Facts, Key, Writes};
use authdesk_store::login_failures;
use authdesk_store::operators::{self, Change, OperatorRow};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// The shortest operator password (they guard a bank's back office).
pub const MIN_PASSWORD: usize = 12;

/// An operator as the console and `operators list` show them (never the password hash).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct OperatorView {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&OperatorRow> for OperatorView {
    fn from(o: &OperatorRow) -> Self {
        OperatorView {
            username: o.username.clone(),
            display_name: o.display_name.clone(),
            role: o.role,
            disabled: o.disabled_at.is_some(),
            created_at: authdesk_core::clock::from_unix(o.created_at),
        }
    }
}

/// Failed sign-ins are counted per operator name in `login_failures`, apart from end users'
/// (a control character cannot be in a name, so no user name reads like this key).
fn failures_key(username: &str) -> String {
    format!("\u{1}operator\u{1}{}", names::key_of(username))
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::invalid(
            "password",
            format!("an operator's password has at least {MIN_PASSWORD} characters"),
        ));
    }
    Ok(())
}

/// Refuses a change that would leave the registry without an enabled admin.
fn keeps_an_admin(facts: &Facts, before: &OperatorRow, after_admin: bool) -> Result<()> {
    let was_admin = before.role == Role::Admin && before.disabled_at.is_none();
    let enabled_admins = facts
        .operators()
        .iter()
        .filter(|o| o.role == Role::Admin && o.disabled_at.is_none())
        .count();
    if was_admin && !after_admin && enabled_admins <= 1 {
        return Err(ApiError::Refused(format!(
            "{} is the only enabled admin: make another operator admin first",
            before.username
        )));
    }
    Ok(())
}

impl Authdesk {
    pub async fn operator_add(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        password: &str,
        actor: &Actor,
    ) -> Result<OperatorView> {
        actor.may(Power::ManageOperators)?;
        let name = names::parse(NameKind::Operator, username)
            .map_err(|e| ApiError::invalid("username", e))?
            .shown;
        let display_name = match display_name.trim() {
            "" => name.clone(),
            d => {
                names::parse(NameKind::Operator, d)
                    .map_err(|e| ApiError::invalid("display_name", e))?
                    .shown
            }
        };
        check_password(password)?;
        let password = password.to_string();
        let hash = self
            .password_work(move |memory| secret::hash_password(&password, memory))
            .await?;
        let now = self.now().timestamp();
        let row = OperatorRow {
            username: name,
            display_name,
            role,
            password_hash: hash,
            disabled_at: None,
            created_at: now,
            updated_at: now,
        };
        let (stored, actor) = (row.clone(), actor.clone());
        self.decide(vec![Key::Operators], move |facts| {
            if let Some(other) = facts.operator(&stored.username) {
                return Err(ApiError::invalid(
                    "username",
                    names::taken(NameKind::Operator, &stored.username, &other.username),
                ));
            }
            let mut writes = Writes::none();
            operators::insert_into(&mut writes, &stored);
            let detail = json!({"display_name": stored.display_name, "role": stored.role});
            audit::record_into(
                &mut writes,
                now,
                &actor,
                AuditAction::OperatorAdd,
                &stored.username,
                detail,
            );
            Ok((writes, ()))
        })
        .await?;
        Ok(OperatorView::from(&row))
    }

    pub async fn operator_list(&self) -> Result<Vec<OperatorView>> {
        let mut conn = self.store().read().await?;
        Ok(operators::list(&mut conn)
            .await?
            .iter()
            .map(OperatorView::from)
            .collect())
    }

    /// The operator named `username`, if there is one (for the CLI's `--operator`).
    pub async fn operator_get(&self, username: &str) -> Result<Option<OperatorRow>> {
        let mut conn = self.store().read().await?;
        Ok(operators::get(&mut conn, username).await?)
    }

    pub async fn operator_set_role(
        &self,
        username: &str,
        role: Role,
        actor: &Actor,
    ) -> Result<OperatorView> {
        self.operator_change(
            username,
            Change {
                role: Some(role),
                ..Change::default()
            },
            json!({"role": role}),
            actor,
        )
        .await
    }

    /// Disables an operator (they can no longer sign in; a console they are signed in to locks
    /// at its next command) or enables them again.
    pub async fn operator_set_disabled(
        &self,
        username: &str,
        disabled: bool,
        actor: &Actor,
    ) -> Result<OperatorView> {
        let now = self.now().timestamp();
        self.operator_change(
            username,
            Change {
                disabled_at: Some(disabled.then_some(now)),
                ..Change::default()
            },
            json!({"disabled": disabled}),
            actor,
        )
        .await
    }

    pub async fn operator_reset_password(
        &self,
        username: &str,
        password: &str,
        actor: &Actor,
    ) -> Result<OperatorView> {
        check_password(password)?;
        let password = password.to_string();
        let hash = self
            .password_work(move |memory| secret::hash_password(&password, memory))
            .await?;
        self.operator_change(
            username,
            Change {
                password_hash: Some(hash),
                ..Change::default()
            },
            json!({"password": "reset"}),
            actor,
        )
        .await
    }

    /// One change to an operator, checked (the actor may manage operators; one enabled admin
    /// stays) and audited in the same unit of work.
    async fn operator_change(
        &self,
        username: &str,
        change: Change,
        detail: serde_json::Value,
        actor: &Actor,
    ) -> Result<OperatorView> {
        actor.may(Power::ManageOperators)?;
        let now = self.now().timestamp();
        let (username, actor) = (username.to_string(), actor.clone());
        self.decide(vec![Key::Operators], move |facts| {
            let before = facts
                .operator(&username)
                .ok_or_else(|| ApiError::NotFound(format!("no operator named {username}")))?;
            let after = change.applied(before, now);
            keeps_an_admin(
                facts,
                before,
                after.role == Role::Admin && after.disabled_at.is_none(),
            )?;
            let mut writes = Writes::none();
            operators::update_into(&mut writes, &after);
            audit::record_into(
                &mut writes,
                now,
                &actor,
                AuditAction::OperatorUpdate,
                &before.username,
                detail,
            );
            Ok((writes, OperatorView::from(&after)))
        })
        .await
    }

    /// Checks an operator's name and password for the console's sign-in, with the budgets of
    /// end users' logins: five wrong in a row lock the name (30 s, doubling, at most 15 min);
    /// unknown names cost the same work. Every attempt is audited, never the password.
    pub async fn operator_sign_in(
        &self,
        username: &str,
        password: &str,
        desk_actor: &Actor,
    ) -> Result<OperatorRow> {
        let username: String = username.trim().chars().take(200).collect();
        let key = failures_key(&username);
        let locked = |f: Option<&login::Failures>, now| {
            login::locked_for(f, now).map(|wait| {
                ApiError::Refused(format!(
                    "too many wrong passwords for {username}: try again in {wait} seconds"
                ))
            })
        };
        let (operator, failures) = {
            let mut conn = self.store().read().await?;
            (
                operators::get(&mut conn, &username).await?,
                login_failures::get(&mut conn, &key).await?,
            )
        };
        if let Some(e) = locked(failures.as_ref(), self.now().timestamp()) {
            return Err(e);
        }
        let stored = operator
            .as_ref()
            .map(|o| o.password_hash.clone())
            .unwrap_or_else(|| secret::dummy_password_hash().to_string());
        let given = password.to_string();
        let ok = self
            .password_work(move |memory| secret::verify_password(&given, &stored, memory))
            .await?;
        let now = self.now().timestamp();
        let (typed, actor) = (username.clone(), desk_actor.clone());
        match operator.filter(|_| ok) {
            None => {
                let next = self
                    .write(move |tx| {
                        Box::pin(async move {
                            let prev = login_failures::get(tx, &key).await?;
                            let next = login::after_failure(prev.as_ref(), now);
                            login_failures::put(tx, &key, &next).await?;
                            let detail = json!({"failures_in_a_row": next.count});
                            audit::record(
                                tx,
                                now,
                                &actor,
                                AuditAction::OperatorSignInFailed,
                                &typed,
                                detail,
                            )
                            .await?;
                            Ok(next)
                        })
                    })
                    .await?;
                Err(locked(Some(&next), now).unwrap_or_else(|| {
                    ApiError::Refused("the user name or password is wrong".into())
                }))
            }
            Some(o) if o.disabled_at.is_some() => Err(ApiError::Refused(format!(
                "{} is disabled: an admin can enable them again",
                o.username
            ))),
            Some(o) => {
                let signed_in = Actor::operator(&o, None);
                self.write(move |tx| {
                    Box::pin(async move {
                        login_failures::clear(tx, &key).await?;
                        audit::record(
                            tx,
                            now,
                            &signed_in,
                            AuditAction::OperatorSignIn,
                            &typed,
                            json!({}),
                        )
                        .await?;
                        Ok(())
                    })
                })
                .await?;
                Ok(o)
            }
        }
    }

    /// Records that an operator's console session ended: signed out, or locked when idle.
    pub async fn operator_sign_out(&self, username: &str, actor: &Actor, why: &str) -> Result<()> {
        let now = self.now().timestamp();
        let (username, actor, why) = (username.to_string(), actor.clone(), why.to_string());
        self.write(move |tx| {
            Box::pin(async move {
                audit::record(
                    tx,
                    now,
                    &actor,
                    AuditAction::OperatorSignOut,
                    &username,
                    json!({"why": why}),
                )
                .await?;
                Ok(())
            })
        })
        .await
    }
}
