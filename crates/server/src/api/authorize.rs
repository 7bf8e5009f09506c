//! The authorization endpoint's decisions (RFC 6749 §4.1, OIDC Core §3.1.2, RFC 9700): what
//! to do with a request, the login and consent steps, and the code at the end. The HTTP layer
//! renders the outcome (a page or a redirect) and handles cookies.

use super::{Authdesk, IssuerKind, IssuerSite, Result};
use authdesk_core::authorize::{self, Request as AuthorizeRequest};
use authdesk_core::params::Params;
use authdesk_core::scope::Scope;
use authdesk_core::site::Endpoint;
use authdesk_core::{ErrorCode, OAuthError};
use authdesk_store::clients::ClientRow;
use authdesk_store::codes::{self, CodeRow};
use authdesk_store::interactions::{self, FormState};
use authdesk_store::{consents, sessions};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a login/consent page stays usable.
pub const INTERACTION_SECONDS: i64 = 600;
/// How long a login session at the sandbox issuer lasts.
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// What the endpoint answers.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Shown to the user; never redirects (unknown client, unregistered redirect URI, ...).
    ErrorPage {
        message: String,
    },
    /// The same with the RFC error it stands for, shown to the developer and counted in the
    /// metrics (a pushed request's `request_uri` that cannot be used, RFC 9126 §4).
    RefusedPage {
        message: String,
        error: ErrorCode,
    },
    /// A 303 to the app's redirect URI with a code.
    Redirect(String),
    /// A 303 to the app's redirect URI with an error (RFC 6749 §4.1.2.1).
    ErrorRedirect {
        to: String,
        error: ErrorCode,
    },
    Login(PageContext),
    /// The login page again, refused for now: the user name is locked for `retry_after`
    /// seconds after too many wrong passwords (HTTP 429 with `Retry-After`).
    Throttled {
        page: PageContext,
        retry_after: i64,
    },
    Consent(PageContext),
}

/// An authorization request paused for the login and consent pages, sealed into the page's
/// form (`Authdesk::pause`): opening a login page stores nothing. The form is bound to the
/// browser by the interaction cookie (`id`) and posted with a CSRF token derived from it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Paused {
    pub id: String,
    pub request: AuthorizeRequest,
    /// Who signed in, once someone did (the consent page's form).
    pub sub: Option<String>,
    pub auth_time: Option<i64>,
    pub expires_at: i64,
}

/// What a sealed form is for: a token sealed for anything else never opens as one.
const PAUSED_AAD: &str = "authdesk paused authorization request v1";

#[derive(Debug, Clone)]
pub struct PageContext {
    /// The interaction cookie's value: binds the form to this browser.
    pub interaction_id: String,
    /// The paused request, sealed: the form's `interaction` field.
    pub form_token: String,
    pub csrf_token: String,
    pub client_name: String,
    pub scopes: Vec<String>,
    /// Claims asked for by name (the `claims` parameter), listed on the consent page.
    pub claims: Vec<String>,
    pub username: Option<String>,
    pub login_hint: Option<String>,
    pub error: Option<String>,
    /// Where the login and consent forms post: the request's issuer's endpoints.
    pub login_action: String,
    pub consent_action: String,
    /// Where the forms' answers may send the browser (the app's redirect URI's origin).
    pub redirect_targets: Vec<String>,
}

/// Appends parameters to a registered redirect URI, keeping its own query.
pub fn redirect_to(uri: &str, params: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", s.finish())
}

impl Authdesk {
    /// The identifier of the issuer `kind` (the primary one if the profile no longer has it).
    pub(super) fn issuer_url(&self, kind: IssuerKind) -> String {
        let site = self.site();
        site.issuer(kind)
            .map_or_else(|| site.primary().url.clone(), |i| i.url.clone())
    }

    /// The CSRF token of a paused request's forms: derived from its id under the hash key.
    fn form_csrf(&self, id: &str) -> String {
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            self.hasher().hash("form_csrf", id),
        )
    }

    /// Seals a paused request into the token its form carries.
    fn pause(&self, p: &Paused) -> String {
        let json = serde_json::to_vec(p).expect("a paused request serialises");
        self.sealer.seal(PAUSED_AAD, &json)
    }

    /// The pages of a paused request, before a user, login hint or error is known.
    pub(super) fn page_context(&self, paused: &Paused, client: &ClientRow) -> PageContext {
        let req = &paused.request;
        let site = self.site();
        let issuer = site.issuer(req.issuer).unwrap_or(site.primary());
        PageContext {
            interaction_id: paused.id.clone(),
            form_token: self.pause(paused),
            csrf_token: self.form_csrf(&paused.id),
            client_name: client.settings.name.clone(),
            scopes: req.scope.iter().map(String::from).collect(),
            claims: req.claims.names().into_iter().map(String::from).collect(),
            username: None,
            login_hint: None,
            error: None,
            login_action: issuer.path_of(Endpoint::Login),
            consent_action: issuer.path_of(Endpoint::Consent),
            redirect_targets: authdesk_core::redirect_uri::csp_source(&req.redirect_uri)
                .into_iter()
                .collect(),
        }
    }

    /// A refused authorization request at the issuer `at`: a page, or an error sent back to
    /// the app.
    fn refused(&self, at: &IssuerSite, refusal: authorize::Refusal) -> Outcome {
        match refusal {
            authorize::Refusal::Page(message) => Outcome::ErrorPage {
                message: message.to_string(),
            },
            authorize::Refusal::Redirect {
                redirect_uri,
                state,
                error,
            } => self.error_redirect(at.kind, &redirect_uri, state.as_deref(), error),
        }
    }

    /// Records a request refused back to the app (within the budget of events unauthenticated
    /// callers cause), so Explain can say why the app's sign-ins fail.
    async fn authorize_refused(&self, client_id: &str, e: &OAuthError) -> Result<()> {
        let Some(suppressed) = self.unauthenticated_audit() else {
            return Ok(());
        };
        let mut script = authdesk_store::Script::new();
        super::audit::record_into(
            &mut script,
            self.now().timestamp(),
            &super::Actor::named("http"),
            super::audit::AuditAction::AuthorizeRefused,
            client_id,
            super::audit::with_suppressed(
                serde_json::json!({"error": e.code.as_str(), "reason": e.description}),
                suppressed,
            ),
        );
        self.append(script).await
    }

    /// An error sent back to the app's redirect URI with `state` and the issuer `kind`'s
    /// identifier as `iss` (RFC 9207).
    pub(super) fn error_redirect(
        &self,
        kind: IssuerKind,
        uri: &str,
        state: Option<&str>,
        e: OAuthError,
    ) -> Outcome {
        let iss = self.issuer_url(kind);
        let mut p = vec![
            ("error", e.code.as_str()),
            ("error_description", e.description.as_str()),
        ];
        if let Some(s) = state {
            p.push(("state", s));
        }
        p.push(("iss", iss.as_str()));
        Outcome::ErrorRedirect {
            to: redirect_to(uri, &p),
            error: e.code,
        }
    }

    /// A request whose `claims` name the user who must sign in (OIDC Core §5.5.1) answered
    /// for another user is refused.
    pub(super) fn wrong_user(&self, req: &AuthorizeRequest, sub: &str) -> Option<Outcome> {
        let want = req.claims.required_sub()?;
        (want != sub).then(|| {
            self.error_redirect(
                req.issuer,
                &req.redirect_uri,
                req.state.as_deref(),
                OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the signed-in user is not the one the request's claims name",
                ),
            )
        })
    }

    /// Handles the authorization endpoint of the issuer `at` with its parameters (in
    /// order, duplicates kept).
    pub async fn authorize_start(
        &self,
        at: &IssuerSite,
        params: &Params,
        session_id: Option<&str>,
    ) -> Result<(Outcome, Option<String>)> {
        let page = |message: &str| {
            Ok((
                Outcome::ErrorPage {
                    message: message.to_string(),
                },
                None,
            ))
        };
        // A pushed request (RFC 9126): its parameters, used once, stand for the request's.
        let pushed;
        let (params, was_pushed) = match params.get("request_uri") {
            Some(uri) if uri.starts_with(super::par::REQUEST_URI_PREFIX) => {
                match self.pushed_params(uri, params).await? {
                    Ok(p) => {
                        pushed = p;
                        (&pushed, true)
                    }
                    Err((error, message)) => {
                        return Ok((
                            Outcome::RefusedPage {
                                message: message.to_string(),
                                error,
                            },
                            None,
                        ));
                    }
                }
            }
            _ => (params, false),
        };
        let client_id = match authorize::client_id(params) {
            Ok(c) => c,
            Err(refusal) => return Ok((self.refused(at, refusal), None)),
        };
        let Some(client) = self.client_cached(client_id).await? else {
            return page("The application in this request is not registered.");
        };
        let registered = authorize::Registered {
            client_id: &client.id,
            settings: &client.settings,
            enabled: client.enabled,
        };
        let req = match AuthorizeRequest::parse(params, registered, at.kind) {
            Ok(r) => r,
            Err(refusal) => {
                if let authorize::Refusal::Redirect { error, .. } = &refusal {
                    self.authorize_refused(&client.id, error).await?;
                }
                return Ok((self.refused(at, refusal), None));
            }
        };
        let fail = |e: OAuthError| {
            Ok((
                self.error_redirect(at.kind, &req.redirect_uri, req.state.as_deref(), e),
                None,
            ))
        };
        if !was_pushed
            && (client.settings.require_pushed_authorization_requests || self.require_par())
        {
            let e = OAuthError::invalid_request(
                "this application must push its authorization requests first (PAR, RFC 9126)",
            );
            self.authorize_refused(&client.id, &e).await?;
            return fail(e);
        }

        let now = self.now().timestamp();
        let session = match session_id {
            Some(id) if !req.prompt_login && self.sso() => {
                let mut conn = self.store().read().await?;
                sessions::get(&mut conn, &self.hasher().hash("session", id))
                    .await?
                    .filter(|s| {
                        s.expires_at > now && req.max_age.is_none_or(|m| now - s.auth_time <= m)
                    })
            }
            _ => None,
        };
        match session {
            Some(s) => {
                if let Some(refused) = self.wrong_user(&req, &s.sub) {
                    return Ok((refused, None));
                }
                let needs_consent = self.needs_consent(&client, &s.sub, &req).await?;
                if !needs_consent {
                    let (row, code) = self.new_code(&client, &req, &s.sub, s.auth_time);
                    let mut script = authdesk_store::Script::new();
                    codes::insert_into(&mut script, &row);
                    self.append(script).await?;
                    return Ok((Outcome::Redirect(self.code_redirect(&req, &code)), None));
                }
                if req.prompt_none {
                    return fail(OAuthError::new(
                        ErrorCode::ConsentRequired,
                        "the user has not approved this application",
                    ));
                }
                let ctx = self
                    .new_interaction(&client, &req, Some((&s.sub, s.auth_time)))
                    .await?;
                let id = ctx.interaction_id.clone();
                Ok((Outcome::Consent(ctx), Some(id)))
            }
            None => {
                if req.prompt_none {
                    return fail(OAuthError::new(
                        ErrorCode::LoginRequired,
                        "the user is not logged in",
                    ));
                }
                let ctx = self.new_interaction(&client, &req, None).await?;
                let id = ctx.interaction_id.clone();
                Ok((Outcome::Login(ctx), Some(id)))
            }
        }
    }

    pub(super) async fn needs_consent(
        &self,
        client: &ClientRow,
        sub: &str,
        req: &AuthorizeRequest,
    ) -> Result<bool> {
        if !client.settings.consent_required {
            return Ok(false);
        }
        if req.prompt_consent {
            return Ok(true);
        }
        let mut conn = self.store().read().await?;
        let granted = consents::get(&mut conn, sub, &client.id).await?;
        Ok(!granted
            .and_then(|g| Scope::parse(&g).ok())
            .is_some_and(|g| req.scope.is_subset_of(&g)))
    }

    /// Pauses `req` for its login (or, with a signed-in user, consent) page: nothing stored.
    async fn new_interaction(
        &self,
        client: &ClientRow,
        req: &AuthorizeRequest,
        user: Option<(&str, i64)>,
    ) -> Result<PageContext> {
        let paused = Paused {
            id: crate::secret::generate(),
            request: req.clone(),
            sub: user.map(|u| u.0.to_string()),
            auth_time: user.map(|u| u.1),
            expires_at: self.now().timestamp() + INTERACTION_SECONDS,
        };
        let username = match user {
            Some((sub, _)) => {
                let mut conn = self.store().read().await?;
                authdesk_store::users::get(&mut conn, sub)
                    .await?
                    .map(|u| u.username)
            }
            None => None,
        };
        Ok(PageContext {
            username,
            login_hint: req.login_hint.clone(),
            ..self.page_context(&paused, client)
        })
    }

    /// Opens a posted form: the sealed request (`token`), from this browser (the interaction
    /// cookie names its id), with its CSRF token, not expired; and what is known of the form
    /// (its wrong passwords, whether it was completed). `None` when any of it does not hold.
    pub(super) async fn interaction_for_post(
        &self,
        token: &str,
        cookie: Option<&str>,
        csrf: &str,
    ) -> Result<Option<(Paused, Arc<ClientRow>, FormState)>> {
        let Some(paused) = self
            .sealer
            .open(PAUSED_AAD, token)
            .and_then(|json| serde_json::from_slice::<Paused>(&json).ok())
        else {
            return Ok(None);
        };
        let same_browser = cookie == Some(paused.id.as_str());
        let csrf_ok = aws_lc_rs::constant_time::verify_slices_are_equal(
            self.form_csrf(&paused.id).as_bytes(),
            csrf.as_bytes(),
        )
        .is_ok();
        if !same_browser || !csrf_ok || paused.expires_at <= self.now().timestamp() {
            return Ok(None);
        }
        let state = {
            let mut conn = self.store().read().await?;
            interactions::get(&mut conn, &paused.id)
                .await?
                .unwrap_or_default()
        };
        let Some(client) = self.client_cached(&paused.request.client_id).await? else {
            return Ok(None);
        };
        Ok(Some((paused, client, state)))
    }

    /// The consent form was posted with `decision` = approve or deny.
    pub async fn authorize_consent(
        &self,
        token: &str,
        cookie: Option<&str>,
        csrf: &str,
        decision: &str,
    ) -> Result<Outcome> {
        let Some((paused, client, state)) = self.interaction_for_post(token, cookie, csrf).await?
        else {
            return Ok(Outcome::ErrorPage { message: "This consent form has expired or was not sent from this browser. Start again from the application.".into() });
        };
        if state.spent {
            return Ok(Outcome::ErrorPage {
                message: "This request was already completed.".into(),
            });
        }
        let (Some(sub), Some(auth_time)) = (paused.sub.clone(), paused.auth_time) else {
            return Ok(Outcome::ErrorPage {
                message: "Log in before approving.".into(),
            });
        };
        let req = paused.request;
        let approve = decision == "approve" && client.enabled;
        let code = approve.then(|| self.new_code(&client, &req, &sub, auth_time));
        let stored_code = code.as_ref().map(|(c, _)| c.clone());
        let (id, expires, client_id, scope) = (
            paused.id.clone(),
            paused.expires_at,
            client.id.clone(),
            req.scope.to_string(),
        );
        let now = self.now().timestamp();
        // Spending the form, remembering the consent and the code: all or nothing.
        let taken = self
            .write(move |tx| {
                Box::pin(async move {
                    if !interactions::spend(tx, &id, expires, now).await? {
                        return Ok(false);
                    }
                    if let Some(c) = stored_code {
                        consents::put(tx, &sub, &client_id, &scope, now).await?;
                        codes::insert(tx, &c).await?;
                    }
                    Ok(true)
                })
            })
            .await?;
        if !taken {
            return Ok(Outcome::ErrorPage {
                message: "This request was already completed.".into(),
            });
        }
        match (decision, code) {
            (_, Some((_, raw))) => Ok(Outcome::Redirect(self.code_redirect(&req, &raw))),
            ("approve", None) => Ok(self.error_redirect(
                req.issuer,
                &req.redirect_uri,
                req.state.as_deref(),
                OAuthError::unauthorized_client("the application is disabled"),
            )),
            _ => Ok(self.error_redirect(
                req.issuer,
                &req.redirect_uri,
                req.state.as_deref(),
                OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"),
            )),
        }
    }

    /// A new single-use code for this request (its row, and the code itself).
    pub(super) fn new_code(
        &self,
        client: &ClientRow,
        req: &AuthorizeRequest,
        sub: &str,
        auth_time: i64,
    ) -> (CodeRow, String) {
        let now = self.now().timestamp();
        let code = crate::secret::generate();
        let lifetimes = client.settings.lifetimes;
        let row = CodeRow {
            code_hash: self.hasher().hash("code", &code),
            client_id: client.id.clone(),
            sub: sub.to_string(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.to_string(),
            code_challenge: req.code_challenge.as_ref().map(|c| c.as_str().to_string()),
            nonce: req.nonce.clone(),
            auth_time,
            issued_at: now,
            expires_at: now + lifetimes.authorization_code,
            used_at: None,
            grant_id: None,
            issuer: super::tokens::stored_issuer(req.issuer),
            claims: super::tokens::stored_claims(&req.claims),
            dpop_jkt: req.dpop_jkt.clone(),
        };
        (row, code)
    }

    /// The redirect carrying a code, with `state` and `iss` (RFC 9207).
    pub(super) fn code_redirect(&self, req: &AuthorizeRequest, code: &str) -> String {
        let iss = self.issuer_url(req.issuer);
        let mut p = vec![("code", code)];
        if let Some(s) = &req.state {
            p.push(("state", s));
        }
        p.push(("iss", iss.as_str()));
        redirect_to(&req.redirect_uri, &p)
    }
}
