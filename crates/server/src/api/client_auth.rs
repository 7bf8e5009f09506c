//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523) and `none`.

use super::{audit, Actor, Authdesk, Result};
use authdesk_core::client::{AuthMethod, ClientType};
use authdesk_core::OAuthError;
use authdesk_store::clients::ClientRow;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
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

/// A registered public key for private_key_jwt.
pub enum ClientKey {
    Pem(String),
    Jwks(JwkSet),
}

/// Parses a registered key: a PEM public key or a JWKS document with at least one key.
pub fn parse_public_key(text: &str) -> std::result::Result<ClientKey, String> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        let rsa = DecodingKey::from_rsa_pem(t.as_bytes()).is_ok();
        let ec = DecodingKey::from_ec_pem(t.as_bytes()).is_ok();
        if !(rsa || ec) {
            return Err("the PEM is not an RSA or EC public key".into());
        }
        if t.contains("PRIVATE KEY") {
            return Err("that is a private key; register the public key only".into());
        }
        return Ok(ClientKey::Pem(t.to_string()));
    }
    let set: JwkSet = serde_json::from_str(t)
        .map_err(|e| format!("not a PEM public key nor a JWKS document: {e}"))?;
    if set.keys.is_empty() {
        return Err("the JWKS has no keys".into());
    }
    let raw: Value = serde_json::from_str(t).unwrap_or_default();
    let private = raw["keys"]
        .as_array()
        .is_some_and(|ks| ks.iter().any(|k| k.get("d").is_some()));
    if private {
        return Err("the JWKS contains private key material; register public keys only".into());
    }
    for k in &set.keys {
        DecodingKey::from_jwk(k).map_err(|e| format!("a key in the JWKS is not usable: {e}"))?;
    }
    Ok(ClientKey::Jwks(set))
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
                let sub = super::tokens::unverified_claim(assertion, "sub").ok_or_else(|| {
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
        let result = match &client {
            None => Err(failed()),
            Some(c) => self.check_credentials(c, creds, audiences).await?,
        };
        match result {
            Ok(()) => {
                let c = client.expect("checked above");
                if !c.enabled {
                    return Err(OAuthError::invalid_client("the application is disabled").into());
                }
                Ok(c)
            }
            Err(e) => {
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
                        &Actor("http".into()),
                        "client.auth_failed",
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
    ) -> Result<std::result::Result<(), OAuthError>> {
        if c.settings.auth_method != creds.method() {
            return Ok(Err(OAuthError::invalid_client(format!(
                "this application authenticates with {}",
                c.settings.auth_method
            ))));
        }
        Ok(match creds {
            Credentials::Basic { secret, .. } | Credentials::Post { secret, .. } => {
                match &c.secret_hash {
                    Some(h) if self.hasher().verify("client_secret", secret, h) => Ok(()),
                    _ => Err(failed()),
                }
            }
            Credentials::None { .. } => {
                if c.settings.client_type == ClientType::Public {
                    Ok(())
                } else {
                    Err(failed())
                }
            }
            Credentials::Assertion { assertion, .. } => {
                self.check_assertion(c, assertion, audiences).await?
            }
        })
    }

    async fn check_assertion(
        &self,
        c: &ClientRow,
        assertion: &str,
        audiences: &[String],
    ) -> Result<std::result::Result<(), OAuthError>> {
        let bad = |why: &str| {
            Ok(Err(OAuthError::invalid_client(format!(
                "client assertion rejected: {why}"
            ))))
        };
        let Some(key_text) = &c.settings.public_key else {
            return bad("no public key is registered");
        };
        let Ok(key) = parse_public_key(key_text) else {
            return bad("the registered public key is not usable");
        };
        let Ok(header) = jsonwebtoken::decode_header(assertion) else {
            return bad("malformed header");
        };
        if !matches!(
            header.alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
                | Algorithm::ES256
                | Algorithm::ES384
        ) {
            return bad("unsupported algorithm");
        }
        let decoding = match &key {
            ClientKey::Pem(p) => match header.alg {
                Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(p.as_bytes()),
                _ => DecodingKey::from_rsa_pem(p.as_bytes()),
            },
            ClientKey::Jwks(set) => {
                let jwk = match &header.kid {
                    Some(kid) => set.find(kid),
                    None if set.keys.len() == 1 => set.keys.first(),
                    None => None,
                };
                let Some(jwk) = jwk else {
                    return bad("no registered key matches the assertion's kid");
                };
                DecodingKey::from_jwk(jwk)
            }
        };
        let Ok(decoding) = decoding else {
            return bad("the registered key does not fit the algorithm");
        };
        let mut v = Validation::new(header.alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
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
        Ok(Ok(()))
    }
}
