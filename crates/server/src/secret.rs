//! Generated secrets and how they are kept: random values with 256 bits of entropy, stored
//! only as HMAC-SHA-256 under the data directory's hash key and compared in constant time.
//! User passwords (chosen by people, so guessable) use argon2id instead.

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use aws_lc_rs::{hmac, rand::SecureRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// `N` random bytes from the system's generator.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("system randomness");
    bytes
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

    /// Names this key without revealing it: two directories with the same fingerprint hash
    /// secrets alike (an export's secret hashes can be checked only under the same key).
    pub fn fingerprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.hash("key_fingerprint", "")[..12])
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

/// Seals small server state into a token a client carries and hands back (the paused
/// authorization request in its login form): AES-256-GCM under a key derived from the
/// registry's hash key, so every node of a registry opens what another sealed, and nothing
/// is stored for a caller who has not signed in. `aad` names what the token is for: one
/// purpose's token never opens as another's.
pub struct Sealer {
    key: aws_lc_rs::aead::LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// The sealer whose key `hasher` derives for `purpose`.
    pub fn derived(hasher: &SecretHasher, purpose: &str) -> Self {
        let material = hasher.hash("sealing_key", purpose);
        let key = aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, &material)
            .expect("32 bytes make an AES-256 key");
        Sealer {
            key: aws_lc_rs::aead::LessSafeKey::new(key),
        }
    }

    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> String {
        let nonce_bytes: [u8; 12] = random_bytes();
        let nonce = aws_lc_rs::aead::Nonce::assume_unique_for_key(nonce_bytes);
        let mut data = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(nonce, aws_lc_rs::aead::Aad::from(aad.as_bytes()), &mut data)
            .expect("AES-GCM sealing");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&data);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The plaintext, if `token` was sealed by this key for `aad` and not changed since.
    pub fn open(&self, aad: &str, token: &str) -> Option<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, sealed) = raw.split_at(12);
        let nonce = aws_lc_rs::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, aws_lc_rs::aead::Aad::from(aad.as_bytes()), &mut data)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// argon2's working memory (about 19 MiB with the default parameters), kept by the caller
/// and reused: allocating it per login left the allocator holding tens of MiB per thread.
pub type PasswordMemory = Vec<Block>;

fn with_memory(memory: &mut PasswordMemory, params: &Params) {
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
}

/// An argon2id PHC string for `password` with a random salt and the default parameters.
pub fn hash_password(password: &str, memory: &mut PasswordMemory) -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("system randomness");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes is a valid salt");
    let params = Params::default();
    with_memory(memory, &params);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), &bytes, &mut out, &mut memory[..])
        .expect("argon2 with default parameters");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().expect("default parameters"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32 bytes is a valid output")),
    }
    .to_string()
}

/// Whether `password` matches the stored PHC string (its own parameters and salt); the
/// comparison is constant-time.
/// An argon2 PHC string this program can verify without more work or memory than its own
/// hashes take (an imported hash with larger parameters would make every login costlier).
pub fn is_password_hash(stored: &str) -> bool {
    let check = || -> Option<bool> {
        let h = PasswordHash::new(stored).ok()?;
        Algorithm::try_from(h.algorithm).ok()?;
        Version::try_from(h.version.unwrap_or(0x13)).ok()?;
        let params = Params::try_from(&h).ok()?;
        h.salt?;
        h.hash?;
        Some(
            params.m_cost() <= Params::DEFAULT_M_COST
                && params.t_cost() <= Params::DEFAULT_T_COST.max(4)
                && params.p_cost() <= Params::DEFAULT_P_COST.max(4),
        )
    };
    check().unwrap_or(false)
}

pub fn verify_password(password: &str, stored: &str, memory: &mut PasswordMemory) -> bool {
    let mut check = || -> Option<bool> {
        let h = PasswordHash::new(stored).ok()?;
        let algorithm = Algorithm::try_from(h.algorithm).ok()?;
        let version = Version::try_from(h.version.unwrap_or(0x13)).ok()?;
        let params = Params::try_from(&h).ok()?;
        let expected = h.hash?;
        let mut salt = [0u8; 64];
        let salt = h.salt?.decode_b64(&mut salt).ok()?;
        with_memory(memory, &params);
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
            .ok()?;
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

/// The hash of a random password nobody knows, with the parameters new hashes get: verifying
/// against it makes an unknown user name cost as much as a wrong password.
pub fn dummy_password_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$gW5YabUrQ0pH0ufTcfBiqQ$+okkQSiBHH2JXDj2kTmq25PKs4BTrWH9IbpmA/XlGs4"
}

#[cfg(test)]
mod sealer_tests {
    use super::*;

    #[test]
    fn sealed_state_opens_only_unchanged_under_its_key_and_purpose() {
        let hasher = SecretHasher::new(b"registry key");
        let s = Sealer::derived(&hasher, "interaction");
        let token = s.seal("login", b"paused request");
        assert_eq!(
            s.open("login", &token).as_deref(),
            Some(&b"paused request"[..])
        );
        assert_ne!(
            token,
            s.seal("login", b"paused request"),
            "a fresh nonce each time"
        );
        assert_eq!(s.open("consent", &token), None, "another purpose");
        let other = Sealer::derived(&SecretHasher::new(b"another registry"), "interaction");
        assert_eq!(other.open("login", &token), None, "another registry's key");
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            s.open("login", &URL_SAFE_NO_PAD.encode(bytes)),
            None,
            "changed"
        );
        for junk in ["", "!!", "AAAA", &"A".repeat(40)] {
            assert_eq!(s.open("login", junk), None, "{junk}");
        }
    }
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
        let mut memory = Vec::new();
        let stored = hash_password("correct horse", &mut memory);
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify_password("correct horse", &stored, &mut memory));
        assert!(!verify_password("wrong", &stored, &mut memory));
        assert!(!verify_password("x", "garbage", &mut memory));
        // the stand-in for unknown users has today's parameters, so it costs the same
        let dummy = Params::try_from(&PasswordHash::new(dummy_password_hash()).unwrap()).unwrap();
        let today = Params::default();
        assert_eq!(
            (dummy.m_cost(), dummy.t_cost(), dummy.p_cost()),
            (today.m_cost(), today.t_cost(), today.p_cost())
        );
        assert!(!verify_password(
            "correct horse",
            dummy_password_hash(),
            &mut memory
        ));
        // a hash made by the argon2 crate's own PHC code verifies here, and the other way
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse", &theirs, &mut memory));
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &PasswordHash::new(&stored).unwrap())
                .is_ok()
        );
    }
}
