//! OAuth errors, named by their RFC codes. The HTTP mapping (status, headers) lives in the
//! server crate, in one place.

use serde::Serialize;

/// Error codes from RFC 6749 §4.1.2.1 / §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1, OIDC Core
/// §3.1.2.6 and RFC 9449 (DPoP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    UnsupportedTokenType,
    InvalidScope,
    AccessDenied,
    InvalidToken,
    InsufficientScope,
    ServerError,
    /// RFC 6749 §4.1.2.1; also the token endpoint's answer to overload (with HTTP 503).
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    /// RFC 9101 §7 (used by RFC 9126 §4): a `request_uri` that is unknown, used, expired or
    /// another client's.
    InvalidRequestUri,
    /// RFC 9449 §5: a DPoP proof that does not pass (`dpop`).
    InvalidDpopProof,
    /// RFC 9449 §8: the server requires a nonce in the proof (given in `DPoP-Nonce`).
    UseDpopNonce,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
        }
    }
}

/// A value a caller sent, as an error message may quote it: printable ASCII kept except `"`
/// and `\` (which RFC 6749 does not allow in `error_description`), anything else shown as
/// `?`, and at most [`SHOWN_MAX`] characters (then `...`). Never Rust escapes such as `\u{0}`.
pub fn shown(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(SHOWN_MAX)
        .map(|c| match c {
            '"' | '\\' => '?',
            c if (' '..='~').contains(&c) => c,
            _ => '?',
        })
        .collect();
    if value.chars().count() > SHOWN_MAX {
        out.push_str("...");
    }
    out
}

/// How much of a caller's value an error message quotes.
pub const SHOWN_MAX: usize = 64;

/// An error a client may see: an RFC code plus a human description. The description only ever
/// contains characters RFC 6749 allows (`%x20-21 / %x23-5B / %x5D-7E`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    /// The error concerns a DPoP-bound token or a DPoP proof: a resource's 401 challenges with
    /// the DPoP scheme (RFC 9449 §7.1), even when the token came as Bearer.
    pub dpop: bool,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        let description = description
            .into()
            .chars()
            .map(|c| match c {
                '"' | '\\' => '\'',
                c if (' '..='~').contains(&c) => c,
                _ => ' ',
            })
            .collect();
        let dpop = matches!(code, ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce);
        Self {
            code,
            description,
            dpop,
        }
    }
    /// This error, answered with a DPoP challenge at a resource.
    pub fn with_dpop_challenge(mut self) -> Self {
        self.dpop = true;
        self
    }
    pub fn invalid_dpop_proof(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidDpopProof, d)
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }
    pub fn server_error() -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_keep_to_the_rfc_character_set() {
        let e = OAuthError::invalid_request("bad \"x\"\\ \r\n\té");
        assert_eq!(e.description, "bad 'x''     ");
    }

    #[test]
    fn quoted_values_are_plain_and_short() {
        assert_eq!(shown("read\0write\u{0}\"x\"é"), "read?write??x??");
        assert_eq!(shown("ok scope"), "ok scope");
        let long = "a".repeat(1000);
        assert_eq!(shown(&long), format!("{}...", "a".repeat(SHOWN_MAX)));
        let e = OAuthError::invalid_scope(format!("'{}' is not a valid scope", shown("a\u{0}b")));
        assert_eq!(e.description, "'a?b' is not a valid scope");
    }
}
