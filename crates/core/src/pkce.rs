//! PKCE (RFC 7636) with S256 only: `plain` gives no protection against a stolen code.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// A `code_challenge` for method S256: 43 base64url characters (a SHA-256 digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, String> {
        match method {
            Some("S256") => {}
            None => return Err("code_challenge_method is required and must be S256".into()),
            Some("plain") => {
                return Err("code_challenge_method plain is not supported; use S256".into());
            }
            Some(_) => return Err("code_challenge_method must be S256".into()),
        }
        let ok = challenge.len() == 43
            && URL_SAFE_NO_PAD
                .decode(challenge)
                .is_ok_and(|bytes| bytes.len() == 32);
        if !ok {
            return Err(
                "code_challenge must be the base64url SHA-256 of the verifier (43 characters)"
                    .into(),
            );
        }
        Ok(Self(challenge.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Does `verifier` (RFC 7636 §4.1: 43–128 unreserved characters) hash to this challenge?
    pub fn verify(&self, verifier: &str) -> bool {
        if !is_valid_verifier(verifier) {
            return false;
        }
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        let computed = URL_SAFE_NO_PAD.encode(digest.as_ref());
        aws_lc_rs::constant_time::verify_slices_are_equal(computed.as_bytes(), self.0.as_bytes())
            .is_ok()
    }
}

pub fn is_valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge of a verifier (for clients and tests).
pub fn challenge_for(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_example() {
        assert_eq!(challenge_for(VERIFIER), CHALLENGE);
        let c = CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        assert!(c.verify(VERIFIER));
    }

    #[test]
    fn rejects() {
        let c = CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        for bad in [
            "",
            "short",
            &VERIFIER[..42],
            &format!("{VERIFIER}x"),
            &"a".repeat(129),
        ] {
            assert!(!c.verify(bad), "{bad}");
        }
        assert!(CodeChallenge::parse(CHALLENGE, Some("plain")).is_err());
        assert!(CodeChallenge::parse(CHALLENGE, None).is_err());
        assert!(CodeChallenge::parse("abc", Some("S256")).is_err());
        assert!(CodeChallenge::parse(&format!("{}!", &CHALLENGE[..42]), Some("S256")).is_err());
    }
}
