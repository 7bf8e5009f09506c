//! Exchanging an authorization code (RFC 6749 §4.1.3, RFC 7636): which presented codes yield
//! tokens, and what a refused exchange does to the code and to what it produced.

use crate::pkce::CodeChallenge;
use chrono::{DateTime, Utc};

/// A stored code, as the rule needs it (the store converts its row into this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: Option<CodeChallenge>,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// The token request presenting it.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    pub client_id: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub verifier: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRejection {
    /// Another client's code. Judged first and refused without touching the code, so neither a
    /// replay by another client nor a guess can burn the code or revoke its owner's grant.
    OtherClient,
    /// Used before, by its own client: the code leaked; what it produced is revoked.
    Replayed,
    Expired,
    RedirectUriMismatch,
    VerifierMismatch,
    VerifierMissing,
    /// A verifier for a code whose request had no challenge (RFC 9700 §2.1.1: a downgrade).
    UnexpectedVerifier,
}

impl CodeRejection {
    pub fn describe(self) -> &'static str {
        match self {
            Self::OtherClient => "the authorization code was issued to another client",
            Self::Replayed => "the authorization code was already used",
            Self::Expired => "the authorization code has expired",
            Self::RedirectUriMismatch => "redirect_uri does not match the authorization request",
            Self::VerifierMismatch => "code_verifier does not match the code_challenge",
            Self::VerifierMissing => "code_verifier is required",
            Self::UnexpectedVerifier => {
                "code_verifier given but the authorization request had no code_challenge"
            }
        }
    }

    /// Whether the code is marked used by this refusal: once its own client presented it, a
    /// wrong guess (of the verifier or the redirect URI) cannot be retried.
    pub fn burns_code(self) -> bool {
        !matches!(self, Self::OtherClient | Self::Replayed)
    }

    /// Whether the grant the code produced is revoked (RFC 6749 §4.1.2).
    pub fn revokes_grant(self) -> bool {
        self == Self::Replayed
    }
}

/// Decides whether `presented` may exchange `code` at `now`, in this order: the client, a
/// replay, expiry, the redirect URI, PKCE.
pub fn check(
    code: &IssuedCode,
    presented: &Presented<'_>,
    now: DateTime<Utc>,
) -> Result<(), CodeRejection> {
    use CodeRejection::*;
    if code.client_id != presented.client_id {
        return Err(OtherClient);
    }
    if code.used {
        return Err(Replayed);
    }
    if now >= code.expires_at {
        return Err(Expired);
    }
    if presented.redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(RedirectUriMismatch);
    }
    match (&code.challenge, presented.verifier) {
        (Some(ch), Some(v)) if ch.verify(v) => Ok(()),
        (Some(_), Some(_)) => Err(VerifierMismatch),
        (Some(_), None) => Err(VerifierMissing),
        (None, Some(_)) => Err(UnexpectedVerifier),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkce::challenge_for;
    use chrono::{Duration, TimeZone};

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const WRONG: &str = "wrongwrongwrongwrongwrongwrongwrongwrongwro";

    type Case<'a> = (
        &'a str,
        IssuedCode,
        Presented<'a>,
        DateTime<Utc>,
        Result<(), CodeRejection>,
    );

    #[test]
    fn exchange_table() {
        use CodeRejection::*;
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let challenge = CodeChallenge::parse(&challenge_for(VERIFIER), Some("S256")).unwrap();
        let code = IssuedCode {
            client_id: "app".into(),
            redirect_uri: "https://a.example/cb".into(),
            challenge: Some(challenge),
            expires_at: t0 + Duration::seconds(60),
            used: false,
        };
        let good = Presented {
            client_id: "app",
            redirect_uri: Some("https://a.example/cb"),
            verifier: Some(VERIFIER),
        };
        let no_pkce = IssuedCode {
            challenge: None,
            ..code.clone()
        };
        let used = IssuedCode {
            used: true,
            ..code.clone()
        };
        let cases: Vec<Case> = vec![
            ("good", code.clone(), good, t0, Ok(())),
            (
                "last second",
                code.clone(),
                good,
                t0 + Duration::seconds(59),
                Ok(()),
            ),
            (
                "expired exactly",
                code.clone(),
                good,
                t0 + Duration::seconds(60),
                Err(Expired),
            ),
            (
                "another client",
                code.clone(),
                Presented {
                    client_id: "other",
                    ..good
                },
                t0,
                Err(OtherClient),
            ),
            (
                "another client, used and expired",
                used.clone(),
                Presented {
                    client_id: "other",
                    ..good
                },
                t0 + Duration::days(1),
                Err(OtherClient),
            ),
            ("replay", used.clone(), good, t0, Err(Replayed)),
            (
                "late replay is still a replay",
                used.clone(),
                good,
                t0 + Duration::days(1),
                Err(Replayed),
            ),
            (
                "redirect differs",
                code.clone(),
                Presented {
                    redirect_uri: Some("https://a.example/cb2"),
                    ..good
                },
                t0,
                Err(RedirectUriMismatch),
            ),
            (
                "redirect missing",
                code.clone(),
                Presented {
                    redirect_uri: None,
                    ..good
                },
                t0,
                Err(RedirectUriMismatch),
            ),
            (
                "wrong verifier",
                code.clone(),
                Presented {
                    verifier: Some(WRONG),
                    ..good
                },
                t0,
                Err(VerifierMismatch),
            ),
            (
                "no verifier",
                code.clone(),
                Presented {
                    verifier: None,
                    ..good
                },
                t0,
                Err(VerifierMissing),
            ),
            (
                "verifier without challenge",
                no_pkce.clone(),
                good,
                t0,
                Err(UnexpectedVerifier),
            ),
            (
                "neither",
                no_pkce.clone(),
                Presented {
                    verifier: None,
                    ..good
                },
                t0,
                Ok(()),
            ),
        ];
        for (name, code, presented, now, want) in cases {
            assert_eq!(check(&code, &presented, now), want, "{name}");
        }
    }

    #[test]
    fn what_a_refusal_does() {
        use CodeRejection::*;
        for r in [
            Expired,
            RedirectUriMismatch,
            VerifierMismatch,
            VerifierMissing,
            UnexpectedVerifier,
        ] {
            assert!(r.burns_code() && !r.revokes_grant(), "{r:?}");
        }
        assert!(!OtherClient.burns_code() && !OtherClient.revokes_grant());
        assert!(!Replayed.burns_code() && Replayed.revokes_grant());
    }
}
