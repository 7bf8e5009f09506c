//! JWT signing keys: generated when first needed, kept in the store, one active key per
//! algorithm (RS256, OIDC's mandatory one, from the start; PS256 and ES256 when an app's ID
//! tokens or the registry's access tokens use them). Tokens are signed with aws-lc-rs directly from a
//! key parsed once (jsonwebtoken would re-parse the private key on every signature), and
//! verified with jsonwebtoken.

use authdesk_store::keys::KeyRow;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Value, json};

pub use authdesk_core::alg::Alg;

/// jsonwebtoken's name of an algorithm we sign with.
pub fn jwt(alg: Alg) -> Algorithm {
    match alg {
        Alg::RS256 => Algorithm::RS256,
        Alg::PS256 => Algorithm::PS256,
        Alg::ES256 => Algorithm::ES256,
    }
}

enum Private {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A key able to sign.
pub struct SigningKey {
    pub kid: String,
    pub alg: Alg,
    private: Private,
}

/// A key able to verify (every key that may still verify a live token).
#[derive(Clone)]
pub struct VerifyingKey {
    pub kid: String,
    pub alg: Alg,
    pub decoding: DecodingKey,
    pub jwk: Value,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[error("signing key error: {0}")]
pub struct KeyError(String);

/// Generates a new key pair; returns the row to store.
pub fn generate(alg: Alg, now: i64) -> Result<KeyRow, KeyError> {
    let kid = crate::secret::generate_id();
    let (der, jwk) = match alg {
        Alg::RS256 | Alg::PS256 => {
            let kp = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| KeyError(e.to_string()))?;
            let der = kp
                .as_der()
                .map_err(|e| KeyError(e.to_string()))?
                .as_ref()
                .to_vec();
            (der, rsa_jwk(&kp, &kid, alg))
        }
        Alg::ES256 => {
            let kp = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                .map_err(|e| KeyError(e.to_string()))?;
            let der = kp
                .to_pkcs8v1()
                .map_err(|e| KeyError(e.to_string()))?
                .as_ref()
                .to_vec();
            (der, ec_jwk(&kp, &kid))
        }
    };
    Ok(KeyRow {
        kid,
        alg: alg.as_str().into(),
        private_der: der,
        public_jwk: jwk.to_string(),
        created_at: now,
        retired_at: None,
    })
}

/// The row of a key brought from elsewhere (an export): the PKCS#8 private key must parse as
/// `alg`; the public JWK is derived from it, never taken on trust.
pub fn imported(
    alg: Alg,
    kid: &str,
    private_der: Vec<u8>,
    created_at: i64,
    retired_at: Option<i64>,
) -> Result<KeyRow, KeyError> {
    let jwk = match alg {
        Alg::RS256 | Alg::PS256 => rsa_jwk(
            &RsaKeyPair::from_pkcs8(&private_der).map_err(|e| KeyError(e.to_string()))?,
            kid,
            alg,
        ),
        Alg::ES256 => ec_jwk(
            &EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &private_der)
                .map_err(|e| KeyError(e.to_string()))?,
            kid,
        ),
    };
    Ok(KeyRow {
        kid: kid.into(),
        alg: alg.as_str().into(),
        private_der,
        public_jwk: jwk.to_string(),
        created_at,
        retired_at,
    })
}

fn rsa_jwk(kp: &RsaKeyPair, kid: &str, alg: Alg) -> Value {
    let pk = kp.public_key();
    json!({
        "kty": "RSA", "use": "sig", "alg": alg.as_str(), "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(pk.modulus().big_endian_without_leading_zero()),
        "e": URL_SAFE_NO_PAD.encode(pk.exponent().big_endian_without_leading_zero()),
    })
}

fn ec_jwk(kp: &EcdsaKeyPair, kid: &str) -> Value {
    let point = kp.public_key().as_ref();
    json!({
        "kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    })
}

pub fn signing_key(row: &KeyRow) -> Result<SigningKey, KeyError> {
    let alg = Alg::parse(&row.alg).map_err(KeyError)?;
    let private = match alg {
        Alg::RS256 | Alg::PS256 => Private::Rsa(
            RsaKeyPair::from_pkcs8(&row.private_der).map_err(|e| KeyError(e.to_string()))?,
        ),
        Alg::ES256 => Private::Ec(
            EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &row.private_der,
            )
            .map_err(|e| KeyError(e.to_string()))?,
        ),
    };
    Ok(SigningKey {
        kid: row.kid.clone(),
        alg,
        private,
    })
}

pub fn verifying_key(row: &KeyRow) -> Result<VerifyingKey, KeyError> {
    let alg = Alg::parse(&row.alg).map_err(KeyError)?;
    let jwk: Value = serde_json::from_str(&row.public_jwk).map_err(|e| KeyError(e.to_string()))?;
    let s = |k: &str| jwk[k].as_str().unwrap_or_default().to_string();
    let decoding = match alg {
        Alg::RS256 | Alg::PS256 => DecodingKey::from_rsa_components(&s("n"), &s("e")),
        Alg::ES256 => DecodingKey::from_ec_components(&s("x"), &s("y")),
    }
    .map_err(|e| KeyError(e.to_string()))?;
    Ok(VerifyingKey {
        kid: row.kid.clone(),
        alg,
        decoding,
        jwk,
        created_at: row.created_at,
        retired_at: row.retired_at,
    })
}

impl SigningKey {
    /// Signs `claims` as a compact JWS with header `{alg, typ, kid}`.
    pub fn sign(&self, typ: &str, claims: &Value) -> String {
        let header = json!({ "alg": self.alg.as_str(), "typ": typ, "kid": self.kid });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let sig = match &self.private {
            Private::Rsa(kp) => {
                let mut sig = vec![0; kp.public_modulus_len()];
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    Alg::PS256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                kp.sign(padding, &rng, input.as_bytes(), &mut sig)
                    .expect("RSA signing with a valid key");
                sig
            }
            Private::Ec(kp) => kp
                .sign(&rng, input.as_bytes())
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// A part of a compact JWT (0: header, 1: claims) decoded without verifying anything: to find
/// the key or the stored record before verifying, or to show a token that does not verify.
pub fn unverified_part(jwt: &str, index: usize) -> Option<Value> {
    let part = jwt.split('.').nth(index)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// A string claim of a JWT read without verification (see [`unverified_part`]).
pub fn unverified_claim(jwt: &str, claim: &str) -> Option<String> {
    unverified_part(jwt, 1)?
        .get(claim)?
        .as_str()
        .map(String::from)
}

/// A jsonwebtoken validation that checks the signature and the algorithm only. Every caller
/// judges the claims itself: by the sandbox clock (jsonwebtoken reads the wall clock) and with
/// messages of its own.
pub fn signature_only(alg: Algorithm) -> jsonwebtoken::Validation {
    let mut v = jsonwebtoken::Validation::new(alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v
}

/// `at_hash` (OIDC Core §3.1.3.6): left half of SHA-256 of the access token, base64url.
pub fn at_hash(access_token: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d.as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Validation, decode};

    #[test]
    fn signs_tokens_jsonwebtoken_verifies() {
        for alg in Alg::ALL {
            let row = generate(alg, 0).unwrap();
            let s = signing_key(&row).unwrap();
            let v = verifying_key(&row).unwrap();
            let token = s.sign("at+jwt", &json!({"sub": "u", "exp": 4_000_000_000u64}));
            let mut val = Validation::new(jwt(alg));
            assert_eq!(v.jwk["alg"], alg.as_str());
            val.validate_aud = false;
            let data = decode::<Value>(&token, &v.decoding, &val).unwrap();
            assert_eq!(data.claims["sub"], "u");
            assert_eq!(data.header.kid.as_deref(), Some(row.kid.as_str()));
            let tampered = format!("{}x", &token[..token.len() - 1]);
            assert!(decode::<Value>(&tampered, &v.decoding, &val).is_err());
            assert!(v.jwk.get("d").is_none());
        }
    }

    #[test]
    fn signature_only_ignores_claims_but_not_the_signature() {
        let row = generate(Alg::ES256, 0).unwrap();
        let (s, v) = (signing_key(&row).unwrap(), verifying_key(&row).unwrap());
        // Expired long ago, no aud, no exp at all: the signature alone decides.
        for claims in [json!({"exp": 1, "sub": "u"}), json!({"sub": "u"})] {
            let token = s.sign("JWT", &claims);
            assert!(decode::<Value>(&token, &v.decoding, &signature_only(jwt(Alg::ES256))).is_ok());
            let tampered = format!("{}x", &token[..token.len() - 1]);
            assert!(
                decode::<Value>(&tampered, &v.decoding, &signature_only(jwt(Alg::ES256))).is_err()
            );
            assert_eq!(unverified_claim(&token, "sub").as_deref(), Some("u"));
            assert_eq!(unverified_part(&token, 0).unwrap()["kid"], row.kid.as_str());
        }
        for junk in ["", "a.b.c", "not a jwt", "..", "e30.e30"] {
            assert_eq!(unverified_claim(junk, "sub"), None, "{junk}");
        }
    }
}
