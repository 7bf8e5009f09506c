//! Scopes (RFC 6749 §3.3): a set of scope tokens, kept in the order first given.

use serde::{Deserialize, Serialize};

pub const OPENID: &str = "openid";
/// The scopes that ask for a refresh token (SPEC §2).
pub const OFFLINE_ACCESS: [&str; 2] = [
    "offline_access",
    "https://api.banno.com/consumer/auth/offline_access",
];
/// Scopes that release standard OIDC claims.
pub const PROFILE: &str = "profile";
pub const EMAIL: &str = "email";
pub const PHONE: &str = "phone";
pub const ADDRESS: &str = "address";

/// A validated, de-duplicated list of scope tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scope(Vec<String>);

/// Is `token` a valid scope-token: `1*( %x21 / %x23-5B / %x5D-7E )`?
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 512
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

impl Scope {
    /// Parses a space-delimited scope string. Repeated tokens collapse to one.
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut tokens: Vec<String> = Vec::new();
        for token in input.split(' ').filter(|t| !t.is_empty()) {
            if !is_scope_token(token) {
                return Err(format!(
                    "'{}' is not a valid scope",
                    crate::error::shown(token)
                ));
            }
            if !tokens.iter().any(|t| t == token) {
                tokens.push(token.to_string());
            }
        }
        Ok(Self(tokens))
    }

    pub fn from_tokens<I: IntoIterator<Item = S>, S: AsRef<str>>(
        tokens: I,
    ) -> Result<Self, String> {
        let joined: Vec<String> = tokens.into_iter().map(|s| s.as_ref().to_string()).collect();
        for t in &joined {
            if !is_scope_token(t) || t.contains(' ') {
                return Err(format!("'{}' is not a valid scope", crate::error::shown(t)));
            }
        }
        Self::parse(&joined.join(" "))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn contains(&self, token: &str) -> bool {
        self.0.iter().any(|t| t == token)
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
    pub fn has_openid(&self) -> bool {
        self.contains(OPENID)
    }
    /// Does this scope ask for a refresh token?
    pub fn has_offline_access(&self) -> bool {
        OFFLINE_ACCESS.iter().any(|s| self.contains(s))
    }
    /// Tokens of `self` that `allowed` does not contain.
    pub fn not_in(&self, allowed: &Scope) -> Vec<&str> {
        self.iter().filter(|t| !allowed.contains(t)).collect()
    }
    pub fn is_subset_of(&self, other: &Scope) -> bool {
        self.not_in(other).is_empty()
    }
    /// The scope without user-only tokens (what a client-credentials token may carry).
    pub fn without_user_scopes(&self) -> Scope {
        Scope(
            self.0
                .iter()
                .filter(|t| {
                    !matches!(t.as_str(), OPENID | PROFILE | EMAIL | PHONE | ADDRESS)
                        && !OFFLINE_ACCESS.contains(&t.as_str())
                })
                .cloned()
                .collect(),
        )
    }
}

/// Scopes that only make sense with a user (so never in a client-credentials request).
pub fn is_user_scope(token: &str) -> bool {
    matches!(token, OPENID | PROFILE | EMAIL | PHONE | ADDRESS) || OFFLINE_ACCESS.contains(&token)
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl TryFrom<String> for Scope {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let cases: &[(&str, Option<&str>)] = &[
            ("openid profile", Some("openid profile")),
            ("openid  openid profile", Some("openid profile")),
            ("", Some("")),
            (
                "https://api.banno.com/consumer/auth/offline_access",
                Some("https://api.banno.com/consumer/auth/offline_access"),
            ),
            ("a\"b", None),
            ("a\\b", None),
            ("caf\u{e9}", None),
            ("tab\there", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                Scope::parse(input).ok().map(|s| s.to_string()).as_deref(),
                *want,
                "{input}"
            );
        }
    }

    #[test]
    fn offline_access_in_both_forms() {
        for (s, want) in [
            ("openid offline_access", true),
            (
                "openid https://api.banno.com/consumer/auth/offline_access",
                true,
            ),
            ("openid profile", false),
            ("offline", false),
            (
                "https://api.banno.com/consumer/auth/offline_access/x",
                false,
            ),
        ] {
            assert_eq!(Scope::parse(s).unwrap().has_offline_access(), want, "{s}");
        }
    }

    #[test]
    fn subsets() {
        let allowed = Scope::parse("openid profile accounts").unwrap();
        assert!(
            Scope::parse("openid accounts")
                .unwrap()
                .is_subset_of(&allowed)
        );
        assert_eq!(
            Scope::parse("openid admin").unwrap().not_in(&allowed),
            vec!["admin"]
        );
        assert_eq!(
            Scope::parse("openid offline_access accounts email")
                .unwrap()
                .without_user_scopes()
                .to_string(),
            "accounts"
        );
    }
}
