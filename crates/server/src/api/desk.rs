//! A console desk's session: who is signed in and when they last acted. A production
//! registry's console acts only as a signed-in operator, and locks after a while idle (15
//! minutes unless Settings says otherwise); a sandbox's console needs no sign-in and acts as
//! the operating-system user on this machine. Every command asks [`Authdesk::desk_actor`], so
//! an operator disabled or given another role meanwhile is seen at their next command.

use super::audit::AuditAction;
use super::{Actor, ApiError, Authdesk, Mode, Result, audit};
use authdesk_core::roles::{Power, Role};
use authdesk_store::operators::{self, OperatorRow};
use authdesk_store::settings;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Mutex;

/// Minutes idle before the console locks, unless the registry says otherwise.
pub const DEFAULT_IDLE_LOCK_MINUTES: i64 = 15;
/// The idle lock may be set between these (minutes).
pub const IDLE_LOCK_RANGE: std::ops::RangeInclusive<i64> = 1..=480;

/// The operator signed in at this desk, if any, and why the last one was signed out.
#[derive(Debug, Default)]
pub struct DeskSession(Mutex<Desk>);

#[derive(Debug, Default, Clone)]
struct Desk {
    signed_in: Option<SignedIn>,
    /// Why the desk locked (idle, operator disabled), until someone signs in again.
    locked: Option<String>,
}

#[derive(Debug, Clone)]
struct SignedIn {
    username: String,
    last_active: i64,
}

/// Who is at the desk, for the status bar and the console's choices.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct DeskView {
    /// The signed-in operator, if any.
    pub operator: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// What the console may offer: every power for a sandbox desk without an operator.
    pub powers: Vec<Power>,
    /// A production registry (reasons are required for what cuts something off).
    pub production: bool,
    /// A production registry with nobody signed in: nothing is shown until someone does.
    pub sign_in_required: bool,
    /// Why the desk locked ("the console locked after 15 minutes idle"), for the sign-in page.
    pub locked: Option<String>,
    /// Whether the registry has any operator (else the sign-in page says how to add one).
    pub has_operators: bool,
    /// Where the audit says actions come from: this machine's name.
    pub desk: String,
    #[ts(type = "number")]
    pub idle_lock_minutes: i64,
}

/// The console's own settings (Settings → Console).
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ConsoleSettings {
    #[ts(type = "number")]
    pub idle_lock_minutes: i64,
}

impl DeskSession {
    fn get(&self) -> Desk {
        self.0.lock().expect("desk session").clone()
    }
    fn set(&self, d: Desk) {
        *self.0.lock().expect("desk session") = d;
    }
}

impl Authdesk {
    pub async fn console_settings(&self) -> Result<ConsoleSettings> {
        let mut conn = self.store().read().await?;
        let stored = settings::get(&mut conn, settings::CONSOLE_IDLE_LOCK).await?;
        Ok(ConsoleSettings {
            idle_lock_minutes: stored
                .and_then(|v| v.parse().ok())
                .filter(|m| IDLE_LOCK_RANGE.contains(m))
                .unwrap_or(DEFAULT_IDLE_LOCK_MINUTES),
        })
    }

    pub async fn set_console_settings(&self, s: &ConsoleSettings, actor: &Actor) -> Result<()> {
        actor.may(Power::ManageSettings)?;
        if !IDLE_LOCK_RANGE.contains(&s.idle_lock_minutes) {
            return Err(ApiError::invalid(
                "idle_lock_minutes",
                format!(
                    "the console locks after {} to {} minutes idle",
                    IDLE_LOCK_RANGE.start(),
                    IDLE_LOCK_RANGE.end()
                ),
            ));
        }
        let (minutes, actor) = (s.idle_lock_minutes, actor.clone());
        let now = self.now().timestamp();
        self.write(move |tx| {
            Box::pin(async move {
                settings::set(tx, settings::CONSOLE_IDLE_LOCK, &minutes.to_string()).await?;
                let detail = json!({"idle_lock_minutes": minutes});
                audit::record(
                    tx,
                    now,
                    &actor,
                    AuditAction::SettingsConsole,
                    "console",
                    detail,
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Signs an operator in at this desk (see [`Authdesk::operator_sign_in`]).
    pub async fn desk_sign_in(
        &self,
        desk: &DeskSession,
        username: &str,
        password: &str,
    ) -> Result<DeskView> {
        let o = self
            .operator_sign_in(username, password, &Actor::local("console"))
            .await?;
        desk.set(Desk {
            signed_in: Some(SignedIn {
                username: o.username,
                last_active: self.now().timestamp(),
            }),
            locked: None,
        });
        self.desk_view(desk).await
    }

    /// Signs the operator out (audited); the desk then needs a sign-in again in production.
    pub async fn desk_sign_out(&self, desk: &DeskSession) -> Result<DeskView> {
        if let Some(s) = desk.get().signed_in {
            desk.set(Desk::default());
            if let Some(o) = self.operator_get(&s.username).await? {
                self.operator_sign_out(&o.username, &Actor::operator(&o, None), "signed out")
                    .await?;
            }
        }
        self.desk_view(desk).await
    }

    /// The operator signed in at the desk as they are now in the registry, if any. A desk
    /// idle longer than the lock, or whose operator was disabled or removed, locks here: the
    /// operator is signed out (audited) and the reason kept for the sign-in page. `touch`
    /// counts this as activity (a command), or not (the console looking who is there).
    async fn signed_in(&self, desk: &DeskSession, touch: bool) -> Result<Option<OperatorRow>> {
        let Some(signed) = desk.get().signed_in else {
            return Ok(None);
        };
        let now = self.now().timestamp();
        let operator = self.operator_get(&signed.username).await?;
        let idle = self.console_settings().await?.idle_lock_minutes;
        let locked = match &operator {
            None => Some(format!("{} is no longer an operator", signed.username)),
            Some(o) if o.disabled_at.is_some() => Some(format!("{} was disabled", o.username)),
            Some(_) if now - signed.last_active > idle * 60 => {
                Some(format!("the console locked after {idle} minutes idle"))
            }
            Some(_) => None,
        };
        match (operator, locked) {
            (Some(o), None) => {
                if touch {
                    desk.set(Desk {
                        signed_in: Some(SignedIn {
                            last_active: now,
                            ..signed
                        }),
                        locked: None,
                    });
                }
                Ok(Some(o))
            }
            (o, Some(why)) => {
                desk.set(Desk {
                    signed_in: None,
                    locked: Some(why.clone()),
                });
                if let Some(o) = o {
                    self.operator_sign_out(&o.username, &Actor::operator(&o, None), &why)
                        .await?;
                }
                Ok(None)
            }
            (None, None) => unreachable!("a missing operator is locked out above"),
        }
    }

    /// The actor a console command acts as, and a fresh mark of activity: the signed-in
    /// operator as they are now in the registry; in a sandbox without one, the
    /// operating-system user. Refused (`SignInRequired`) when a production desk has nobody
    /// signed in (or has just locked).
    pub async fn desk_actor(&self, desk: &DeskSession) -> Result<Actor> {
        match self.signed_in(desk, true).await? {
            Some(o) => Ok(Actor::operator(&o, None)),
            None if self.mode() == Mode::Sandbox => Ok(Actor::local("console")),
            None => Err(ApiError::SignInRequired(match desk.get().locked {
                Some(why) => format!("sign in again: {why}"),
                None => "sign in: this is a production registry".into(),
            })),
        }
    }

    /// Who is at the desk (looking is not activity, but a desk idle too long locks here).
    pub async fn desk_view(&self, desk: &DeskSession) -> Result<DeskView> {
        let operator = self.signed_in(desk, false).await?;
        let has_operators = {
            let mut conn = self.store().read().await?;
            !operators::list(&mut conn).await?.is_empty()
        };
        let production = self.mode() == Mode::Production;
        let powers = match &operator {
            Some(o) => o.role.powers(),
            None if production => vec![],
            None => Power::ALL.to_vec(),
        };
        Ok(DeskView {
            production,
            sign_in_required: production && operator.is_none(),
            locked: desk.get().locked,
            operator: operator.as_ref().map(|o| o.username.clone()),
            display_name: operator.as_ref().map(|o| o.display_name.clone()),
            role: operator.as_ref().map(|o| o.role),
            powers,
            has_operators,
            desk: super::desk_name(),
            idle_lock_minutes: self.console_settings().await?.idle_lock_minutes,
        })
    }
}
