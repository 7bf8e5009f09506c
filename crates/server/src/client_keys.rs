//! The public keys an app registers for `private_key_jwt` (RFC 7523): a PEM public key or a
//! JWKS document. Parsed when the app is saved (so a bad key is refused then) and again when
//! an assertion is checked.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

/// A registered public key.
pub enum ClientKey {
    Pem(String),
    Jwks(JwkSet),
}

/// The algorithms a client assertion may be signed with.
pub fn assertion_alg_allowed(alg: Algorithm) -> bool {
    matches!(
        alg,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::ES256
            | Algorithm::ES384
    )
}

impl ClientKey {
    /// Parses a registered key: a PEM public key or a JWKS document with at least one key,
    /// never private key material.
    pub fn parse(text: &str) -> Result<Self, String> {
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
            DecodingKey::from_jwk(k)
                .map_err(|e| format!("a key in the JWKS is not usable: {e}"))?;
        }
        Ok(ClientKey::Jwks(set))
    }

    /// The key to verify an assertion signed with `alg` under `kid` (a JWKS with one key may
    /// be used without a kid). The error says why there is none.
    pub fn decoding_key(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<DecodingKey, &'static str> {
        let key = match self {
            ClientKey::Pem(p) => match alg {
                Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(p.as_bytes()),
                _ => DecodingKey::from_rsa_pem(p.as_bytes()),
            },
            ClientKey::Jwks(set) => {
                let jwk = match kid {
                    Some(kid) => set.find(kid),
                    None if set.keys.len() == 1 => set.keys.first(),
                    None => None,
                };
                let Some(jwk) = jwk else {
                    return Err("no registered key matches the assertion's kid");
                };
                DecodingKey::from_jwk(jwk)
            }
        };
        key.map_err(|_| "the registered key does not fit the algorithm")
    }
}
