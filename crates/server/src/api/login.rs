//! The login step of the authorization endpoint: the password check and the budgets of
//! `authdesk_core::login` (a login form dies after a few wrong passwords; a user name, known
//! or not, is locked for a growing time). Every failure is audited as `user.login_failed`
//! with the user name, never the password.

use super::authorize::{Outcome, PageContext, Paused, SESSION_SECONDS};
use super::{Actor, Authdesk, Result, audit};
use crate::api::audit::AuditAction;
use authdesk_core::OAuthError;
use authdesk_core::login::{self, Failures};
use authdesk_store::clients::ClientRow;
use authdesk_store::interactions;
use authdesk_store::{codes, login_failures, sessions};
use serde_json::json;

/// The longest user name kept (in the failure counts and the audit): no stored user name is
/// longer, and a guesser's megabyte of text is not stored.
pub const USERNAME_MAX: usize = 255;

const WRONG: &str = "The user name or password is wrong.";

impl Authdesk {
    /// The login form was posted. Returns the outcome and, on success, a new session id.
    pub async fn authorize_login(
        &self,
        token: &str,
        cookie: Option<&str>,
        csrf: &str,
        username: &str,
        password: &str,
    ) -> Result<(Outcome, Option<String>)> {
        let Some((paused, client, state)) = self.interaction_for_post(token, cookie, csrf).await?
        else {
            return Ok((Outcome::ErrorPage { message: "This login form has expired or was not sent from this browser. Start again from the application.".into() }, None));
        };
        if state.spent {
            return Ok((Outcome::ErrorPage { message: "This login form can no longer be used (it was completed, or had too many wrong passwords). Start again from the application.".into() }, None));
        }
        let username: String = username.chars().take(USERNAME_MAX).collect();
        let blank = self.page_context(&paused, &client);
        let page = |error: &str| PageContext {
            login_hint: Some(username.clone()),
            error: Some(error.to_string()),
            ..blank.clone()
        };
        if let Some(wait) = self.login_locked_for(&username).await? {
            return Ok((throttled(page, wait), None));
        }
        let user = self.user_authenticate(&username, password).await?;
        // Checked again after the hash: guesses sent together, before the lock was written,
        // learn nothing once it is.
        if let Some(wait) = self.login_locked_for(&username).await? {
            return Ok((throttled(page, wait), None));
        }
        let Some(user) = user else {
            let (on_form, failures) = self.login_failed(&paused, &client, &username).await?;
            let now = self.now().timestamp();
            if on_form.is_none_or(|n| n >= login::INTERACTION_FAILURES) {
                return Ok((Outcome::ErrorPage { message: "Too many wrong passwords on this login form. Start again from the application.".into() }, None));
            }
            return Ok(match login::locked_for(Some(&failures), now) {
                Some(wait) => (throttled(page, wait), None),
                None => (Outcome::Login(page(WRONG)), None),
            });
        };
        self.login_succeeded(paused, client, user.sub, user.username)
            .await
    }

    /// Seconds until `username` may try again, if it is locked now.
    async fn login_locked_for(&self, username: &str) -> Result<Option<i64>> {
        let f = {
            let mut conn = self.store().read().await?;
            login_failures::get(&mut conn, username).await?
        };
        Ok(login::locked_for(f.as_ref(), self.now().timestamp()))
    }

    /// Counts a wrong password on the form and on the user name, discards the form once its
    /// budget is spent, and audits it; one unit of work. Returns the form's count (`None` if
    /// it is gone) and the user name's record.
    async fn login_failed(
        &self,
        paused: &Paused,
        client: &ClientRow,
        username: &str,
    ) -> Result<(Option<i64>, Failures)> {
        let now = self.now().timestamp();
        let (id, expires) = (paused.id.clone(), paused.expires_at);
        let (client_id, username) = (client.id.clone(), username.to_string());
        let audited = self.unauthenticated_audit();
        self.write(move |tx| {
            Box::pin(async move {
                let on_form = interactions::fail(tx, &id, expires).await?;
                let prev = login_failures::get(tx, &username).await?;
                let next = login::after_failure(prev.as_ref(), now);
                login_failures::put(tx, &username, &next).await?;
                let form_spent = on_form.is_some_and(|n| n >= login::INTERACTION_FAILURES);
                if form_spent {
                    interactions::spend(tx, &id, expires, now).await?;
                }
                if let Some(suppressed) = audited {
                    let detail = json!({
                        "client_id": client_id,
                        "failures_in_a_row": next.count,
                        "locked_for_seconds": next.locked_until.map(|u| u - now),
                        "login_form_discarded": form_spent,
                    });
                    audit::record(
                        tx,
                        now,
                        &Actor::named("http"),
                        AuditAction::UserLoginFailed,
                        &username,
                        audit::with_suppressed(detail, suppressed),
                    )
                    .await?;
                }
                Ok((on_form, next))
            })
        })
        .await
    }

    /// The session, the cleared failure count, and either the user on the interaction (consent
    /// comes next) or the code: one unit of work.
    async fn login_succeeded(
        &self,
        paused: Paused,
        client: std::sync::Arc<ClientRow>,
        sub: String,
        username: String,
    ) -> Result<(Outcome, Option<String>)> {
        let now = self.now().timestamp();
        let req = paused.request.clone();
        if let Some(refused) = self.wrong_user(&req, &sub) {
            return Ok((refused, None));
        }
        // A session only where single sign-on is on (`Authdesk::sso`); otherwise the login
        // serves this request alone.
        let session_id = self.sso().then(crate::secret::generate);
        let session = session_id.as_ref().map(|id| sessions::SessionRow {
            id_hash: self.hasher().hash("session", id),
            sub: sub.clone(),
            auth_time: now,
            expires_at: now + SESSION_SECONDS,
        });
        let needs_consent = client.enabled && self.needs_consent(&client, &sub, &req).await?;
        let code =
            (client.enabled && !needs_consent).then(|| self.new_code(&client, &req, &sub, now));
        let stored_code = code.as_ref().map(|(c, _)| c.clone());
        let (id, expires, who, enabled) = (
            paused.id.clone(),
            paused.expires_at,
            username.clone(),
            client.enabled,
        );
        let completed = self
            .write(move |tx| {
                Box::pin(async move {
                    if let Some(session) = &session {
                        sessions::insert(tx, session).await?;
                    }
                    login_failures::clear(tx, &who).await?;
                    if !enabled {
                        return Ok(true);
                    }
                    match stored_code {
                        // Consent comes next: the user travels sealed in its form.
                        None => Ok(true),
                        Some(c) => {
                            if !interactions::spend(tx, &id, expires, now).await? {
                                return Ok(false);
                            }
                            codes::insert(tx, &c).await?;
                            Ok(true)
                        }
                    }
                })
            })
            .await?;
        if !client.enabled {
            return Ok((
                self.error_redirect(
                    req.issuer,
                    &req.redirect_uri,
                    req.state.as_deref(),
                    OAuthError::unauthorized_client("the application is disabled"),
                ),
                session_id.clone(),
            ));
        }
        if !completed {
            return Ok((
                Outcome::ErrorPage {
                    message: "This request was already completed.".into(),
                },
                session_id.clone(),
            ));
        }
        match code {
            None => {
                let signed_in = Paused {
                    sub: Some(sub),
                    auth_time: Some(now),
                    ..paused
                };
                let ctx = PageContext {
                    username: Some(username),
                    ..self.page_context(&signed_in, &client)
                };
                Ok((Outcome::Consent(ctx), session_id.clone()))
            }
            Some((_, raw)) => Ok((
                Outcome::Redirect(self.code_redirect(&req, &raw)),
                session_id.clone(),
            )),
        }
    }
}

fn throttled(page: impl Fn(&str) -> PageContext, wait: i64) -> Outcome {
    Outcome::Throttled {
        page: page(&format!(
            "Too many wrong passwords for this user name. Try again in {}.",
            in_words(wait)
        )),
        retry_after: wait,
    }
}

fn in_words(seconds: i64) -> String {
    if seconds < 90 {
        format!("{seconds} seconds")
    } else {
        format!("{} minutes", (seconds + 59) / 60)
    }
}
