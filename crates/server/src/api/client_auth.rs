//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523) and `none`.

use super::{Actor, Authdesk, Check, IssuerSite, Result, audit};
use crate::api::audit::AuditAction;
use crate::client_keys::{self, ClientKey};
use crate::signing;
use authdesk_core::OAuthError;
use authdesk_core::client::{AuthMethod, ClientType};
use authdesk_core::clock::from_unix;
use authdesk_core::site::Endpoint;
use authdesk_store::clients::ClientRow;
use serde_json::{Value, json};
use std::sync::Arc;

pub use authdesk_core::token_request::{ASSERTION_TYPE, Credentials};

fn method(creds: &Credentials) -> AuthMethod {
    match creds {
        Credentials::Basic { .. } => AuthMethod::ClientSecretBasic,
        Credentials::Post { .. } => AuthMethod::ClientSecretPost,
        Credentials::Assertion { .. } => AuthMethod::PrivateKeyJwt,
        Credentials::None { .. } => AuthMethod::None,
    }
}

fn failed() -> OAuthError {
    OAuthError::invalid_client("client authentication failed")
}

impl Authdesk {
    /// Authenticates the client at the issuer `at`'s `endpoint`: an assertion's `aud` may be
    /// the issuer, its token endpoint, or the endpoint called (RFC 7523 §3).
    pub async fn client_authenticate_at(
        &self,
        creds: &Credentials,
        at: &IssuerSite,
        endpoint: Endpoint,
    ) -> Result<Arc<ClientRow>> {
        let audiences = [
            at.url.clone(),
            at.url_of(Endpoint::Token),
            at.url_of(endpoint),
        ];
        self.client_authenticate(creds, &audiences).await
    }

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
            None => {
                // The same work as for a known app with a wrong secret: an id's existence
                // does not show in the time the answer takes.
                if let Credentials::Basic { secret, .. } | Credentials::Post { secret, .. } = creds
                {
                    let _ = self.hasher().verify("client_secret", secret, &[0; 32]);
                }
                Err(Check::Refused(failed()))
            }
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
                        json!({"method": method(creds).as_str(), "reason": e.description}),
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
        if c.settings.auth_method != method(creds) {
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
        let Ok(header) = jsonwebtoken::decode_header(assertion) else {
            return bad("malformed header");
        };
        // RFC 7515 §4.1.11: extensions listed in `crit` must be understood; we know none.
        if signing::unverified_part(assertion, 0).is_some_and(|h| h.get("crit").is_some()) {
            return bad("the header lists crit extensions, and none are supported");
        }
        if !client_keys::assertion_alg_allowed(header.alg) {
            return bad("unsupported algorithm");
        }
        let kid = header.kid.as_deref();
        let v = signing::signature_only(header.alg);
        let verified = |key: &ClientKey| -> std::result::Result<Option<Value>, &'static str> {
            let candidates = key.candidates(header.alg, kid)?;
            Ok(candidates.iter().find_map(|d| {
                jsonwebtoken::decode::<Value>(assertion, d, &v)
                    .ok()
                    .map(|data| data.claims)
            }))
        };
        let claims = match (&c.settings.public_key, &c.settings.jwks_uri) {
            (Some(text), _) => {
                let Ok(key) = ClientKey::parse(text) else {
                    return bad("the registered public key is not usable");
                };
                match verified(&key) {
                    Ok(Some(claims)) => claims,
                    Ok(None) => return bad("signature invalid"),
                    Err(why) => return bad(why),
                }
            }
            (None, Some(uri)) => {
                let mut refetch = false;
                loop {
                    let now = self.now().timestamp();
                    let key = match self.jwks.keys(uri, self.mode(), refetch, now).await {
                        Ok(k) => k,
                        Err(client_keys::JwksError::TooSoon) => {
                            return bad(
                                "no key of the app's JWKS URI matches, and it was fetched less than a minute ago",
                            );
                        }
                        Err(client_keys::JwksError::Fetch(why)) => {
                            self.jwks_fetch_failed(c, uri, &why).await?;
                            return bad(&format!("the app's JWKS URI could not be used: {why}"));
                        }
                    };
                    match verified(&key) {
                        Ok(Some(claims)) => break claims,
                        // Keys rotated at the app: fetch again (at most once a minute).
                        Ok(None) | Err(_) if !refetch => refetch = true,
                        Ok(None) => return bad("signature invalid"),
                        Err(why) => return bad(why),
                    }
                }
            }
            (None, None) => return bad("no public key is registered"),
        };
        // The assertion's times are the client's: judged on the clock clients live in.
        let now = self.client_now().timestamp();
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
        let banno = self.profile() == super::Profile::Banno;
        let exp = match assertion_exp(&claims["exp"], now, banno) {
            Ok(exp) => exp,
            Err(why) => return bad(&why),
        };
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

    /// A JWKS URI that could not be fetched: an audit event (within the budget of events
    /// unauthenticated callers cause), so the app's administrators see why its calls fail.
    async fn jwks_fetch_failed(&self, c: &ClientRow, uri: &str, why: &str) -> Result<()> {
        tracing::warn!(client_id = %c.id, %uri, reason = %why, "a client's JWKS URI could not be fetched");
        if let Some(suppressed) = self.unauthenticated_audit() {
            let now = self.now().timestamp();
            let detail =
                audit::with_suppressed(json!({"jwks_uri": uri, "reason": why}), suppressed);
            let mut script = authdesk_store::Script::new();
            audit::record_into(
                &mut script,
                now,
                &Actor::named("http"),
                AuditAction::ClientJwksFetchFailed,
                &c.id,
                detail,
            );
            self.append(script).await?;
        }
        Ok(())
    }
}

/// How far ahead an assertion's `exp` may be: an hour, as RFC 7523 leaves it to the server;
/// five minutes in the Banno profile, as Jack Henry specifies.
const MAX_EXP_AHEAD: i64 = 3600;
const BANNO_MAX_EXP_AHEAD: i64 = 300;

/// An assertion's `exp` in seconds: a NumericDate, in seconds or — as Jack Henry's docs and
/// helper send it — milliseconds (a value above 10¹² is milliseconds: in seconds that is the
/// year 33658). Not expired, and not further ahead than the profile allows.
pub fn assertion_exp(exp: &Value, now: i64, banno: bool) -> std::result::Result<i64, String> {
    let raw = match exp {
        Value::Null => return Err("exp is required".into()),
        Value::Number(n) => n.as_f64().unwrap_or(f64::MAX),
        _ => return Err("exp must be a number (seconds, or milliseconds, since 1970)".into()),
    };
    let secs = if raw > 1e12 { raw / 1000.0 } else { raw };
    if !secs.is_finite() || secs > 1e11 {
        return Err("exp is not a date this server can read".into());
    }
    #[allow(clippy::cast_possible_truncation)]
    let exp = secs.floor() as i64;
    if exp <= now {
        return Err(format!("expired at {}", from_unix(exp)));
    }
    let limit = if banno {
        BANNO_MAX_EXP_AHEAD
    } else {
        MAX_EXP_AHEAD
    };
    if exp > now + limit {
        return Err(format!(
            "exp is {} s ahead; at most {limit} s are accepted{}",
            exp - now,
            if banno { " in the Banno profile" } else { "" }
        ));
    }
    Ok(exp)
}

#[cfg(test)]
mod tests {
    use super::assertion_exp;
    use serde_json::json;

    #[test]
    fn assertion_exp_in_seconds_or_milliseconds() {
        let now = 1_800_000_000;
        let ok = |v, banno| assertion_exp(&v, now, banno);
        assert_eq!(ok(json!(now + 60), false), Ok(now + 60));
        assert_eq!(ok(json!((now + 60) * 1000), true), Ok(now + 60));
        assert_eq!(ok(json!((now + 60) * 1000 + 999), true), Ok(now + 60));
        assert_eq!(ok(json!(now + 3600), false), Ok(now + 3600));
        assert!(
            ok(json!(now + 3601), false)
                .unwrap_err()
                .contains("at most 3600")
        );
        assert_eq!(ok(json!((now + 300) * 1000), true), Ok(now + 300));
        assert!(
            ok(json!((now + 360) * 1000), true)
                .unwrap_err()
                .contains("Banno")
        );
        assert!(ok(json!(now), false).unwrap_err().contains("expired"));
        assert!(
            ok(json!((now - 1) * 1000), true)
                .unwrap_err()
                .contains("expired")
        );
        assert!(
            ok(json!("1800000060"), false)
                .unwrap_err()
                .contains("number")
        );
        assert!(ok(json!(null), false).unwrap_err().contains("required"));
        assert!(
            ok(json!(10_000_000_000_000_000_000u64), false)
                .unwrap_err()
                .contains("date")
        );
        assert!(ok(json!(-5), false).unwrap_err().contains("expired"));
    }
}
