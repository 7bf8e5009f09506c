//! OpenID Connect RP-Initiated Logout 1.0: an app sends the user to the issuer's logout
//! endpoint, the user confirms on a page (as Banno's flow does), their login session here
//! ends, and they go back to a `post_logout_redirect_uri` the app registered — never to one
//! it did not. Refresh tokens are not revoked: offline access outlives a sign-out (the page
//! says so).

use super::audit::{self, AuditAction};
use super::{Actor, Authdesk, IssuerSite, Result};
use crate::signing;
use authdesk_core::params::Params;
use authdesk_core::site::Endpoint;
use authdesk_store::clients::ClientRow;
use authdesk_store::sessions;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// How long a logout confirmation page stays usable.
pub const CONFIRM_SECONDS: i64 = 600;

/// What the app asked, once checked: who it is and where the user may go afterwards.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    /// A registered `post_logout_redirect_uri`, exactly as registered.
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// The confirmation page: what it shows and what its form posts back.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub request: Checked,
    pub csrf_token: String,
    /// Where the form posts (the issuer's logout endpoint).
    pub action: String,
    /// Whether this browser has a login session here to end.
    pub signed_in: bool,
}

/// What the logout endpoint answers.
#[derive(Debug, Clone)]
pub enum LogoutOutcome {
    /// Never redirected: the request names an app or URI that cannot be trusted.
    Refused(String),
    Confirm(Confirm),
    /// Signed out (or stayed): back to the app, or a page saying so.
    Redirect(String),
    Done {
        signed_out: bool,
    },
}

impl Authdesk {
    /// The app an `id_token_hint` was issued to, if we signed it for the issuer `at`
    /// (expired is fine: logging out is what one does with an old session).
    fn hinted_client(&self, at: &IssuerSite, hint: &str) -> std::result::Result<String, String> {
        let refuse = || "the id_token_hint was not issued by this issuer".to_string();
        let header = jsonwebtoken::decode_header(hint).map_err(|_| refuse())?;
        let kid = header.kid.ok_or_else(refuse)?;
        // Any key of ours, retired ones too: the hint may be older than a rotation.
        let key = self
            .verifying_keys()
            .into_iter()
            .find(|k| k.kid == kid && signing::jwt(k.alg) == header.alg)
            .ok_or_else(refuse)?;
        let data = jsonwebtoken::decode::<Value>(
            hint,
            &key.decoding,
            &signing::signature_only(header.alg),
        )
        .map_err(|_| refuse())?;
        let c = data.claims;
        if c["iss"].as_str() != Some(at.url.as_str()) {
            return Err(refuse());
        }
        let aud = match &c["aud"] {
            Value::String(a) => Some(a.clone()),
            Value::Array(list) => c["azp"]
                .as_str()
                .map(String::from)
                .or_else(|| list.first().and_then(Value::as_str).map(String::from)),
            _ => None,
        };
        aud.ok_or_else(refuse)
    }

    /// Checks a logout request: an `id_token_hint` we issued (naming the app), a `client_id`
    /// that agrees with it, and a `post_logout_redirect_uri` registered for that app.
    async fn logout_check(
        &self,
        at: &IssuerSite,
        p: &Params,
    ) -> Result<std::result::Result<Checked, String>> {
        let hinted = match p.get("id_token_hint").filter(|h| !h.is_empty()) {
            None => None,
            Some(h) => match self.hinted_client(at, h) {
                Ok(c) => Some(c),
                Err(why) => return Ok(Err(why)),
            },
        };
        let named = p.get("client_id").filter(|c| !c.is_empty());
        if let (Some(h), Some(n)) = (&hinted, named)
            && h != n
        {
            return Ok(Err(
                "client_id names another app than the id_token_hint was issued to".into(),
            ));
        }
        let client_id = hinted.or_else(|| named.map(String::from));
        let client: Option<std::sync::Arc<ClientRow>> = match &client_id {
            Some(id) => match self.client_cached(id).await? {
                Some(c) => Some(c),
                None => return Ok(Err("the app in this request is not registered".into())),
            },
            None => None,
        };
        let redirect_uri = match p.get("post_logout_redirect_uri").filter(|u| !u.is_empty()) {
            None => None,
            Some(uri) => {
                let Some(c) = &client else {
                    return Ok(Err(
                        "post_logout_redirect_uri needs the app: send client_id or id_token_hint"
                            .into(),
                    ));
                };
                if !c
                    .settings
                    .post_logout_redirect_uris
                    .iter()
                    .any(|u| u.matches(uri))
                {
                    return Ok(Err(
                        "the post_logout_redirect_uri is not registered for this app".into(),
                    ));
                }
                Some(uri.to_string())
            }
        };
        Ok(Ok(Checked {
            client_name: client.as_ref().map(|c| c.settings.name.clone()),
            client_id,
            redirect_uri,
            state: p.get("state").map(String::from),
        }))
    }

    /// The CSRF token of a confirmation page: bound to the browser's session cookie, the
    /// request and an expiry, under the registry's hash key (nothing is stored).
    fn logout_csrf(&self, session: Option<&str>, c: &Checked, expires: i64) -> String {
        let bound = format!(
            "{expires}|{}|{}|{}|{}",
            session.unwrap_or(""),
            c.client_id.as_deref().unwrap_or(""),
            c.redirect_uri.as_deref().unwrap_or(""),
            c.state.as_deref().unwrap_or("")
        );
        let mac = URL_SAFE_NO_PAD.encode(self.hasher().hash("logout", &bound));
        format!("{expires}.{mac}")
    }

    /// `GET` (or a `POST` without a decision) of the logout endpoint: the confirmation page,
    /// or a refusal shown on a page.
    pub async fn logout_start(
        &self,
        at: &IssuerSite,
        p: &Params,
        session: Option<&str>,
    ) -> Result<LogoutOutcome> {
        let checked = match self.logout_check(at, p).await? {
            Ok(c) => c,
            Err(why) => return Ok(LogoutOutcome::Refused(why)),
        };
        let signed_in = match session {
            Some(id) => {
                let mut conn = self.store().read().await?;
                sessions::get(&mut conn, &self.hasher().hash("session", id))
                    .await?
                    .is_some_and(|s| s.expires_at > self.now().timestamp())
            }
            None => false,
        };
        let expires = self.now().timestamp() + CONFIRM_SECONDS;
        Ok(LogoutOutcome::Confirm(Confirm {
            csrf_token: self.logout_csrf(session, &checked, expires),
            request: checked,
            action: at.path_of(Endpoint::Logout),
            signed_in,
        }))
    }

    /// The confirmation form was posted: with `decision=logout` and a valid CSRF token the
    /// session ends (an audit event says so) and the user goes back to the app's registered
    /// URI with its `state`, or sees a page.
    pub async fn logout_confirm(
        &self,
        at: &IssuerSite,
        p: &Params,
        session: Option<&str>,
    ) -> Result<LogoutOutcome> {
        let checked = match self.logout_check(at, p).await? {
            Ok(c) => c,
            Err(why) => return Ok(LogoutOutcome::Refused(why)),
        };
        let now = self.now().timestamp();
        let token = p.get("csrf_token").unwrap_or("");
        let valid = token
            .split_once('.')
            .and_then(|(exp, _)| exp.parse::<i64>().ok())
            .filter(|exp| *exp > now)
            .is_some_and(|exp| {
                let want = self.logout_csrf(session, &checked, exp);
                aws_lc_rs::constant_time::verify_slices_are_equal(want.as_bytes(), token.as_bytes())
                    .is_ok()
            });
        if !valid {
            return Ok(LogoutOutcome::Refused(
                "This sign-out form has expired or was not sent from this browser. Start again from the application.".into(),
            ));
        }
        if p.get("decision") != Some("logout") {
            return Ok(LogoutOutcome::Done { signed_out: false });
        }
        let mut signed_out = false;
        if let Some(id) = session {
            let hash = self.hasher().hash("session", id);
            let mut conn = self.store().read().await?;
            let found = sessions::get(&mut conn, &hash).await?;
            drop(conn);
            if let Some(s) = found {
                let client_id = checked.client_id.clone();
                let suppressed = self.unauthenticated_audit();
                signed_out = self
                    .write(move |tx| {
                        Box::pin(async move {
                            let ended = sessions::delete(tx, &hash).await?;
                            if ended && let Some(suppressed) = suppressed {
                                audit::record(
                                    tx,
                                    now,
                                    &Actor::named("http"),
                                    AuditAction::SessionEnd,
                                    &s.sub,
                                    audit::with_suppressed(
                                        json!({"via": "logout", "client_id": client_id}),
                                        suppressed,
                                    ),
                                )
                                .await?;
                            }
                            Ok(ended)
                        })
                    })
                    .await?;
            }
        }
        Ok(match &checked.redirect_uri {
            Some(uri) => {
                let mut params = Vec::new();
                if let Some(s) = &checked.state {
                    params.push(("state", s.as_str()));
                }
                LogoutOutcome::Redirect(if params.is_empty() {
                    uri.clone()
                } else {
                    super::authorize::redirect_to(uri, &params)
                })
            }
            None => LogoutOutcome::Done { signed_out },
        })
    }
}
