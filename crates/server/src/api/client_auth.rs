//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523) and `none`.

use super::{Actor, Authdesk, Check, Result, audit};
use crate::api::audit::AuditAction;
use crate::client_keys::{self, ClientKey};
use crate::signing;
use authdesk_core::OAuthError;
use authdesk_core::client::{AuthMethod, ClientType};
use authdesk_store::clients::ClientRow;
use serde_json::{Value, json};
use std::sync::Arc;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How a request presented its client, as parsed by the HTTP layer.
#[derive(Debug, Clone)]
pub enum Credentials {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    Assertion {
        client_id: Option<String>,
        assertion: String,
    },
    None {
        client_id: String,
    },
}

impl Credentials {
    fn method(&self) -> AuthMethod {
        match self {
            Credentials::Basic { .. } => AuthMethod::ClientSecretBasic,
            Credentials::Post { .. } => AuthMethod::ClientSecretPost,
            Credentials::Assertion { .. } => AuthMethod::PrivateKeyJwt,
            Credentials::None { .. } => AuthMethod::None,
        }
    }
}

fn failed() -> OAuthError {
    OAuthError::invalid_client("client authentication failed")
}

impl Authdesk {
    /// Authenticates the client; `audiences` are the URLs an assertion's `aud` may name.
    pub async fn client_authenticate(
        &self,
        creds: &Credentials,
        audiences: &[String],
    ) -> Result<Arc<ClientRow>> {
        let claimed_id = match creds {
            Credentials::Basic { client_id, .. }
            | Credentials::Post { client_id, .. }
            | Credentials::None { client_id } => client_id.clone(),
            Credentials::Assertion {
                client_id,
                assertion,
            } => {
                let sub = signing::unverified_claim(assertion, "sub").ok_or_else(|| {
                    OAuthError::invalid_client("the client assertion is not a readable JWT")
                })?;
                if client_id.as_ref().is_some_and(|c| *c != sub) {
                    return Err(OAuthError::invalid_client(
                        "client_id does not match the assertion's subject",
                    )
                    .into());
                }
                sub
            }
        };
        let client = self.client_cached(&claimed_id).await?;
        let checked = match &client {
            None => Err(Check::Refused(failed())),
            Some(c) => self.check_credentials(c, creds, audiences).await,
        };
        match checked {
            Ok(()) => {
                let c = client.expect("checked above");
                if !c.enabled {
                    return Err(OAuthError::invalid_client("the application is disabled").into());
                }
                Ok(c)
            }
            Err(Check::Failed(e)) => Err(e),
            Err(Check::Refused(e)) => {
                if let Some(suppressed) = self.unauthenticated_audit() {
                    let now = self.now().timestamp();
                    let detail = audit::with_suppressed(
                        json!({"method": creds.method().as_str(), "reason": e.description}),
                        suppressed,
                    );
                    // An unknown id is whatever the caller typed: kept short and printable.
                    let target = match &client {
                        Some(c) => c.id.clone(),
                        None => authdesk_core::error::shown(&claimed_id),
                    };
                    let mut script = authdesk_store::Script::new();
                    audit::record_into(
                        &mut script,
                        now,
                        &Actor::named("http"),
                        AuditAction::ClientAuthFailed,
                        &target,
                        detail,
                    );
                    self.append(script).await?;
                }
                Err(e.into())
            }
        }
    }

    async fn check_credentials(
        &self,
        c: &ClientRow,
        creds: &Credentials,
        audiences: &[String],
    ) -> std::result::Result<(), Check<OAuthError>> {
        if c.settings.auth_method != creds.method() {
            return Err(Check::Refused(OAuthError::invalid_client(format!(
                "this application authenticates with {}",
                c.settings.auth_method
            ))));
        }
        let passed = match creds {
            Credentials::Basic { secret, .. } | Credentials::Post { secret, .. } => {
                let matches = |h: &Vec<u8>| self.hasher().verify("client_secret", secret, h);
                // The secret, or the one its last rotation replaced while the overlap lasts.
                c.secret_hash.as_ref().is_some_and(matches)
                    || c.previous_secret
                        .as_ref()
                        .is_some_and(|p| self.now().timestamp() < p.until && matches(&p.hash))
            }
            Credentials::None { .. } => c.settings.client_type == ClientType::Public,
            Credentials::Assertion { assertion, .. } => {
                return self.check_assertion(c, assertion, audiences).await;
            }
        };
        if passed {
            Ok(())
        } else {
            Err(Check::Refused(failed()))
        }
    }

    async fn check_assertion(
        &self,
        c: &ClientRow,
        assertion: &str,
        audiences: &[String],
    ) -> std::result::Result<(), Check<OAuthError>> {
        let bad = |why: &str| {
            Err(Check::Refused(OAuthError::invalid_client(format!(
                "client assertion rejected: {why}"
            ))))
        };
        let Some(key_text) = &c.settings.public_key else {
            return bad("no public key is registered");
        };
        let Ok(key) = ClientKey::parse(key_text) else {
            return bad("the registered public key is not usable");
        };
        let Ok(header) = jsonwebtoken::decode_header(assertion) else {
            return bad("malformed header");
        };
        if !client_keys::assertion_alg_allowed(header.alg) {
            return bad("unsupported algorithm");
        }
        let decoding = match key.decoding_key(header.alg, header.kid.as_deref()) {
            Ok(d) => d,
            Err(why) => return bad(why),
        };
        let v = signing::signature_only(header.alg);
        let Ok(data) = jsonwebtoken::decode::<Value>(assertion, &decoding, &v) else {
            return bad("signature invalid");
        };
        let claims = data.claims;
        let now = self.now().timestamp();
        if claims["iss"].as_str() != Some(&c.id) || claims["sub"].as_str() != Some(&c.id) {
            return bad("iss and sub must be the client_id");
        }
        let aud_ok = match &claims["aud"] {
            Value::String(a) => audiences.contains(a),
            Value::Array(list) => list
                .iter()
                .any(|a| a.as_str().is_some_and(|a| audiences.iter().any(|x| x == a))),
            _ => false,
        };
        if !aud_ok {
            return bad("aud must be the issuer or the endpoint URL");
        }
        let Some(exp) = claims["exp"].as_i64() else {
            return bad("exp is required");
        };
        if exp <= now {
            return bad("expired");
        }
        if exp > now + 3600 {
            return bad("exp is more than an hour away");
        }
        if claims["nbf"].as_i64().is_some_and(|nbf| nbf > now + 60) {
            return bad("not valid yet");
        }
        let Some(jti) = claims["jti"]
            .as_str()
            .filter(|j| !j.is_empty() && j.len() <= 256)
        else {
            return bad("jti is required");
        };
        let (client_id, jti) = (c.id.clone(), jti.to_string());
        let fresh = self
            .write(move |tx| {
                Box::pin(async move {
                    Ok(
                        authdesk_store::assertions::remember(tx, &client_id, &jti, exp, now)
                            .await?,
                    )
                })
            })
            .await?;
        if !fresh {
            return bad("this assertion was already used");
        }
        Ok(())
    }
}
