//! Request parameters: form bodies parsed by hand so repeated parameters are seen (RFC 6749
//! §3.1: "MUST NOT be included more than once") instead of silently collapsed.

use authdesk_core::OAuthError;
use axum::body::Bytes;
use axum::http::{header, HeaderMap};

pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// A query string; a value longer than its parameter allows is refused.
    pub fn from_query(q: Option<&str>) -> Result<Self, OAuthError> {
        Params(
            form_urlencoded::parse(q.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
        .checked()
    }

    /// A form body; anything but `application/x-www-form-urlencoded`, or a value longer than
    /// its parameter allows, is refused.
    pub fn from_form(headers: &HeaderMap, body: &Bytes) -> Result<Self, OAuthError> {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        Params(form_urlencoded::parse(body).into_owned().collect()).checked()
    }

    fn checked(self) -> Result<Self, OAuthError> {
        for (k, v) in &self.0 {
            let max = max_len(k);
            if v.len() > max {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {} is too long (at most {max} bytes)",
                    authdesk_core::error::shown(k)
                )));
            }
        }
        Ok(self)
    }

    /// Fails with `invalid_request` if any parameter appears twice.
    pub fn reject_duplicates(&self) -> Result<(), OAuthError> {
        for (i, (k, _)) in self.0.iter().enumerate() {
            if self.0[..i].iter().any(|(k2, _)| k2 == k) {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {k} is repeated"
                )));
            }
        }
        Ok(())
    }

    /// The value of `name`; an empty value counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
    }
}

/// The largest body an OAuth endpoint reads (the longest parameters below fit many times).
pub const BODY_LIMIT: usize = 64 * 1024;

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
        | "interaction"
        | "csrf_token" => 128,
        "login_hint" | "nonce" => 512,
        "scope" | "password" => 1024,
        "client_assertion" | "token" => 8192,
        _ => 2048,
    }
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}
