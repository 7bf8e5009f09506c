//! Generated secrets and how they are kept: random values with 256 bits of entropy, stored
//! only as HMAC-SHA-256 under the data directory's hash key and compared in constant time.
//! User passwords (chosen by people, so guessable) use argon2id instead.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use aws_lc_rs::{hmac, rand::SecureRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// 32 random bytes, base64url: client secrets, codes, refresh tokens, session ids.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("system randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A shorter random identifier (128 bits) for ids that are not secrets.
pub fn generate_id() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("system randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The keyed hash for high-entropy secrets.
#[derive(Clone)]
pub struct SecretHasher {
    key: hmac::Key,
}

impl std::fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHasher(..)")
    }
}

impl SecretHasher {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    /// Hash with a purpose label, so a code can never be presented as a refresh token.
    pub fn hash(&self, purpose: &str, secret: &str) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(purpose.as_bytes());
        ctx.update(&[0]);
        ctx.update(secret.as_bytes());
        ctx.sign().as_ref().to_vec()
    }

    /// Constant-time check of `secret` against a stored hash.
    pub fn verify(&self, purpose: &str, secret: &str, stored: &[u8]) -> bool {
        let mut msg = Vec::with_capacity(purpose.len() + 1 + secret.len());
        msg.extend_from_slice(purpose.as_bytes());
        msg.push(0);
        msg.extend_from_slice(secret.as_bytes());
        hmac::verify(&self.key, &msg, stored).is_ok()
    }
}

pub fn hash_password(password: &str) -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("system randomness");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash computed once so an unknown user name costs as much as a wrong password.
pub fn dummy_password_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a real password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_round_trip() {
        let h = SecretHasher::new(b"k");
        let s = generate();
        assert_eq!(s.len(), 43);
        let stored = h.hash("client_secret", &s);
        assert!(h.verify("client_secret", &s, &stored));
        assert!(!h.verify("refresh_token", &s, &stored));
        assert!(!h.verify("client_secret", &format!("{s}x"), &stored));
        assert!(!SecretHasher::new(b"other").verify("client_secret", &s, &stored));
    }

    #[test]
    fn passwords() {
        let stored = hash_password("correct horse");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &stored));
        assert!(!verify_password("wrong", &stored));
        assert!(!verify_password("x", "garbage"));
    }
}
