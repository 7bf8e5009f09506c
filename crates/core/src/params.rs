//! Request parameters as sent, in order, repeats kept (RFC 6749 §3.1: parameters "MUST NOT be
//! included more than once"), with a length cap per parameter. The HTTP layer builds them from
//! a query string or a form body; the rules read them here.

use crate::OAuthError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, String)>);

/// A parameter that appears more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeated;

impl Params {
    /// Refuses a value longer than its parameter allows ([`max_len`]), and a NUL character
    /// anywhere (no OAuth value has one, and PostgreSQL cannot store one in text).
    pub fn checked(self) -> Result<Self, OAuthError> {
        for (k, v) in &self.0 {
            if k.contains('\0') || v.contains('\0') {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {} contains a NUL character",
                    crate::error::shown(k)
                )));
            }
            let max = max_len(k);
            if v.len() > max {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {} is too long (at most {max} bytes)",
                    crate::error::shown(k)
                )));
            }
        }
        Ok(self)
    }

    /// The first parameter that appears more than once.
    pub fn first_repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find(|(i, (k, _))| self.0[..*i].iter().any(|(k2, _)| k2 == k))
            .map(|(_, (k, _))| k.as_str())
    }

    /// Fails with `invalid_request` if any parameter appears twice.
    pub fn reject_duplicates(&self) -> Result<(), OAuthError> {
        match self.first_repeated() {
            Some(k) => Err(OAuthError::invalid_request(format!(
                "the parameter {k} is repeated"
            ))),
            None => Ok(()),
        }
    }

    /// The value of `name` (its first occurrence); an empty value counts as absent
    /// (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name` if it appears at most once (empty counts as absent).
    pub fn single(&self, name: &str) -> Result<Option<&str>, Repeated> {
        let mut it = self.0.iter().filter(|(k, _)| k == name);
        let first = it.next();
        if it.next().is_some() {
            return Err(Repeated);
        }
        Ok(first.map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()))
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
    }
}

/// The longest value a parameter may have, in bytes: what is stored (client ids in the audit,
/// hints and the paused request with an interaction) stays small whatever a caller sends, and
/// every real value fits (a client assertion or a token to introspect is a JWT of a few
/// hundred bytes; RFC 7636 verifiers are at most 128 characters).
pub fn max_len(name: &str) -> usize {
    match name {
        "client_id" | "client_secret" | "code" | "refresh_token" | "username" => 255,
        "code_verifier"
        | "code_challenge"
        | "code_challenge_method"
        | "grant_type"
        | "response_type"
        | "response_mode"
        | "token_type_hint"
        | "prompt"
        | "decision"
        | "csrf_token" => 128,
        // The paused authorization request, sealed: its `state`, `nonce` and `claims` fit.
        "interaction" => 24 * 1024,
        "login_hint" | "nonce" => 512,
        "scope" | "password" => 1024,
        "client_assertion" | "token" | "id_token_hint" => 8192,
        "claims" => 4096,
        _ => 2048,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn repeats_empties_and_lengths() {
        let q = p(&[("a", "1"), ("b", ""), ("c", "3"), ("a", "2")]);
        assert_eq!(q.first_repeated(), Some("a"));
        assert!(q.reject_duplicates().is_err());
        assert_eq!(q.get("a"), Some("1"));
        assert_eq!(q.get("b"), None, "empty is absent");
        assert_eq!(q.single("a"), Err(Repeated));
        assert_eq!(q.single("c"), Ok(Some("3")));
        assert_eq!(q.single("b"), Ok(None));
        assert_eq!(q.single("zzz"), Ok(None));
        assert!(q.require("b").is_err());
        assert_eq!(p(&[("a", "1"), ("b", "2")]).first_repeated(), None);
        assert!(p(&[("client_id", &"x".repeat(255))]).checked().is_ok());
        assert!(p(&[("client_id", &"x".repeat(256))]).checked().is_err());
        assert!(p(&[("client_id", "a\0b")]).checked().is_err());
        assert!(p(&[("a\0", "b")]).checked().is_err());
    }
}
