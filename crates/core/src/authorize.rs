//! The authorization request (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2.1, RFC 9700): which
//! requests are refused on a page (nothing may be sent to a redirect URI that is not
//! registered), which go back to the app with an error, and what a valid one asks for.
//!
//! Two steps, because the registry is asked in between: [`client_id`] names the client, then
//! [`Request::parse`] judges everything else against its registration.

use crate::claims::ClaimsRequest;
use crate::client::{ClientSettings, ClientType, GrantType};
use crate::params::{Params, Repeated};
use crate::pkce::CodeChallenge;
use crate::scope::Scope;
use crate::site::IssuerKind;
use crate::{ErrorCode, OAuthError};
use serde::{Deserialize, Serialize};

/// The longest `state` accepted (it is echoed back and kept while the user logs in).
pub const MAX_STATE: usize = 4096;
/// The longest `nonce` accepted (it is copied into the ID token).
pub const MAX_NONCE: usize = 512;

/// A request that passed every check, kept (as JSON, with the interaction) while the user
/// logs in and consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Scope,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<CodeChallenge>,
    /// `prompt=login`, or `max_age=0`: log in again even with a session.
    pub prompt_login: bool,
    pub prompt_consent: bool,
    /// `prompt=none`: never show a page; answer `login_required` / `consent_required`.
    #[serde(default)]
    pub prompt_none: bool,
    /// A session older than this many seconds does not count.
    #[serde(default)]
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// The `claims` parameter (OIDC Core §5.5), empty when not sent.
    #[serde(default, skip_serializing_if = "ClaimsRequest::is_empty")]
    pub claims: ClaimsRequest,
    /// The issuer the request came to: its code is redeemed there only.
    #[serde(default = "main_issuer")]
    pub issuer: IssuerKind,
    /// `dpop_jkt` (RFC 9449 §10): the thumbprint of the DPoP key the code's exchange must
    /// prove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
}

fn main_issuer() -> IssuerKind {
    IssuerKind::Main
}

/// Why a request is refused, and where the refusal goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Shown to the user, never redirected: the client or the redirect URI is not known good.
    Page(&'static str),
    /// Sent back to the registered redirect URI, with `state`.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
    },
}

/// Step one: the client the request names.
pub fn client_id(params: &Params) -> Result<&str, Refusal> {
    match params.single("client_id") {
        Err(Repeated) => Err(Refusal::Page("The request names client_id more than once.")),
        Ok(None) => Err(Refusal::Page("The request has no client_id.")),
        Ok(Some(c)) => Ok(c),
    }
}

/// What step two needs of the registered client.
#[derive(Debug, Clone, Copy)]
pub struct Registered<'a> {
    pub client_id: &'a str,
    pub settings: &'a ClientSettings,
    pub enabled: bool,
}

impl Request {
    /// Step two: the rest of the request, judged against the client's registration. First
    /// the redirect URI (refusals before it is known good are pages); then, sent back to it,
    /// repeats, a disabled app, request objects, `response_type`/`response_mode`, the grant
    /// type, scope, PKCE (required for public clients, S256 only), `prompt`, `max_age`, the
    /// lengths of `state` and `nonce`, and the `claims` parameter. `issuer` is the issuer the
    /// request came to.
    pub fn parse(
        params: &Params,
        client: Registered<'_>,
        issuer: IssuerKind,
    ) -> Result<Request, Refusal> {
        let settings = client.settings;
        let redirect_uri = match params.single("redirect_uri") {
            Err(Repeated) => {
                return Err(Refusal::Page(
                    "The request names redirect_uri more than once.",
                ));
            }
            Ok(None) => return Err(Refusal::Page("The request has no redirect_uri.")),
            Ok(Some(r)) => r,
        };
        if !settings
            .redirect_uris
            .iter()
            .any(|u| u.matches(redirect_uri))
        {
            return Err(Refusal::Page(
                "The redirect_uri is not registered for this application.",
            ));
        }
        let state = params.get("state");
        let fail = |error: OAuthError| Refusal::Redirect {
            redirect_uri: redirect_uri.to_string(),
            state: state.map(String::from),
            error,
        };
        if let Some(k) = params.first_repeated() {
            return Err(fail(OAuthError::invalid_request(format!(
                "the parameter {k} is repeated"
            ))));
        }
        if !client.enabled {
            return Err(fail(OAuthError::unauthorized_client(
                "the application is disabled",
            )));
        }
        let get = |n: &str| params.get(n);
        if get("request").is_some() {
            return Err(fail(OAuthError::new(
                ErrorCode::RequestNotSupported,
                "request objects are not supported",
            )));
        }
        if get("request_uri").is_some() {
            return Err(fail(OAuthError::new(
                ErrorCode::RequestUriNotSupported,
                "request_uri is not supported",
            )));
        }
        match get("response_type") {
            None => {
                return Err(fail(OAuthError::invalid_request(
                    "response_type is required",
                )));
            }
            Some("code") => {}
            Some(_) => {
                return Err(fail(OAuthError::new(
                    ErrorCode::UnsupportedResponseType,
                    "only response_type=code is supported",
                )));
            }
        }
        if get("response_mode").is_some_and(|m| m != "query") {
            return Err(fail(OAuthError::invalid_request(
                "only response_mode=query is supported",
            )));
        }
        if !settings.grant_types.contains(&GrantType::AuthorizationCode) {
            return Err(fail(OAuthError::unauthorized_client(
                "this application may not use the authorization code flow",
            )));
        }
        let scope = match Scope::parse(get("scope").unwrap_or("")) {
            Ok(s) if s.is_empty() => {
                return Err(fail(OAuthError::invalid_scope("scope is required")));
            }
            Ok(s) => s,
            Err(e) => return Err(fail(OAuthError::invalid_scope(e))),
        };
        let extra = scope.not_in(&settings.scopes);
        if !extra.is_empty() {
            return Err(fail(OAuthError::invalid_scope(format!(
                "not allowed for this application: {}",
                extra.join(" ")
            ))));
        }
        let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
            (None, None) if settings.client_type == ClientType::Public => {
                return Err(fail(OAuthError::invalid_request(
                    "PKCE is required: send code_challenge with code_challenge_method=S256",
                )));
            }
            (None, None) => None,
            (None, Some(_)) => {
                return Err(fail(OAuthError::invalid_request(
                    "code_challenge_method without code_challenge",
                )));
            }
            (Some(c), m) => {
                Some(CodeChallenge::parse(c, m).map_err(|e| fail(OAuthError::invalid_request(e)))?)
            }
        };
        let prompts: Vec<&str> = get("prompt")
            .map(|p| p.split(' ').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        if let Some(bad) = prompts
            .iter()
            .find(|p| !matches!(**p, "none" | "login" | "consent" | "select_account"))
        {
            return Err(fail(OAuthError::invalid_request(format!(
                "unknown prompt value {bad}"
            ))));
        }
        let prompt_none = prompts.contains(&"none");
        if prompt_none && prompts.len() > 1 {
            return Err(fail(OAuthError::invalid_request(
                "prompt=none cannot be combined with other values",
            )));
        }
        let max_age = match get("max_age") {
            None => None,
            Some(m) => match m.parse::<i64>() {
                Ok(v) if v >= 0 => Some(v),
                _ => {
                    return Err(fail(OAuthError::invalid_request(
                        "max_age must be a non-negative integer",
                    )));
                }
            },
        };
        if state.is_some_and(|s| s.len() > MAX_STATE) {
            return Err(fail(OAuthError::invalid_request(
                "state is longer than 4096 characters",
            )));
        }
        let nonce = get("nonce");
        if nonce.is_some_and(|n| n.len() > MAX_NONCE) {
            return Err(fail(OAuthError::invalid_request(
                "nonce is longer than 512 characters",
            )));
        }
        let claims = match get("claims") {
            None => ClaimsRequest::default(),
            Some(c) => ClaimsRequest::parse(c).map_err(|e| fail(OAuthError::invalid_request(e)))?,
        };
        // A SHA-256 thumbprint is 43 base64url characters (RFC 7638, RFC 9449 §10).
        let dpop_jkt = get("dpop_jkt");
        if dpop_jkt.is_some_and(|j| {
            j.len() != 43
                || !j
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }) {
            return Err(fail(OAuthError::invalid_request(
                "dpop_jkt must be the base64url SHA-256 thumbprint of a key (43 characters)",
            )));
        }
        Ok(Request {
            client_id: client.client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            scope,
            state: state.map(String::from),
            nonce: nonce.map(String::from),
            code_challenge,
            prompt_login: prompts.contains(&"login") || max_age == Some(0),
            prompt_consent: prompts.contains(&"consent"),
            prompt_none,
            max_age,
            login_hint: get("login_hint").map(String::from),
            claims,
            issuer,
            dpop_jkt: dpop_jkt.map(String::from),
        })
    }
}
