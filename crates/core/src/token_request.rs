//! The token request (RFC 6749 §3.2, §4.1.3, §4.4.2, §6), parsed once into types: how the client
//! authenticates and which grant it asks for, with that grant's parameters. The HTTP layer hands
//! the form and the `Authorization` header here and passes the result to the use case, so a new
//! grant or a proof of possession is one more field, not one more argument through every layer.

use crate::client::GrantType;
use crate::params::Params;
use crate::{ErrorCode, OAuthError};
use base64::Engine;

/// `client_assertion_type` for a JWT client assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How a request presented its client (RFC 6749 §2.3; RFC 7523 §2.2; a public client's
/// `client_id` alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    Assertion {
        client_id: Option<String>,
        assertion: String,
    },
    None {
        client_id: String,
    },
}

/// The credentials of an `Authorization` value if it uses `scheme`, whose name is
/// case-insensitive (RFC 9110 §11.1, RFC 7617 §2: `BASIC`, `basic` and `Basic` are one scheme).
pub fn scheme_credentials<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

fn malformed_basic() -> OAuthError {
    OAuthError::invalid_client("malformed Basic credentials")
}

/// `id:secret` from a Basic value; both parts are form-urlencoded before base64 (RFC 6749
/// §2.3.1).
fn basic(b64: &str) -> Result<(String, String), OAuthError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(malformed_basic)?;
    let (id, secret) = raw.split_once(':').ok_or_else(malformed_basic)?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (decode(id), decode(secret));
    if id.contains('\0') || secret.contains('\0') {
        return Err(malformed_basic());
    }
    Ok((id, secret))
}

impl Credentials {
    /// Reads the client's credentials from the `Authorization` header's value and the form,
    /// refusing a request that uses more than one method (RFC 6749 §2.3).
    pub fn parse(authorization: Option<&str>, p: &Params) -> Result<Credentials, OAuthError> {
        let basic = match authorization {
            None => None,
            Some(v) => match scheme_credentials(v, "Basic") {
                Some(b64) => Some(basic(b64)?),
                None => {
                    return Err(OAuthError::invalid_client(
                        "the Authorization header must use the Basic scheme",
                    ));
                }
            },
        };
        let post_secret = p.get("client_secret");
        let assertion = p.get("client_assertion");
        let used = [basic.is_some(), post_secret.is_some(), assertion.is_some()]
            .iter()
            .filter(|x| **x)
            .count();
        if used > 1 {
            return Err(OAuthError::invalid_request(
                "use exactly one client authentication method",
            ));
        }
        let client_id = p.get("client_id");
        if let Some((id, secret)) = basic {
            if client_id.is_some_and(|c| c != id) {
                return Err(OAuthError::invalid_request(
                    "client_id does not match the Authorization header",
                ));
            }
            return Ok(Credentials::Basic {
                client_id: id,
                secret,
            });
        }
        if let Some(secret) = post_secret {
            let id = client_id.ok_or_else(|| {
                OAuthError::invalid_request("client_id is required with client_secret")
            })?;
            return Ok(Credentials::Post {
                client_id: id.into(),
                secret: secret.into(),
            });
        }
        if let Some(a) = assertion {
            if p.get("client_assertion_type") != Some(ASSERTION_TYPE) {
                return Err(OAuthError::invalid_request(format!(
                    "client_assertion_type must be {ASSERTION_TYPE}"
                )));
            }
            return Ok(Credentials::Assertion {
                client_id: client_id.map(String::from),
                assertion: a.into(),
            });
        }
        match client_id {
            Some(id) => Ok(Credentials::None {
                client_id: id.into(),
            }),
            None => Err(OAuthError::invalid_client(
                "client authentication is required",
            )),
        }
    }
}

/// The grant a token request asks for, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// RFC 6749 §4.1.3, with PKCE's `code_verifier` (RFC 7636 §4.5).
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    /// RFC 6749 §4.4.2.
    ClientCredentials { scope: Option<String> },
    /// RFC 6749 §6.
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
    },
}

impl Grant {
    pub fn grant_type(&self) -> GrantType {
        match self {
            Grant::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Grant::ClientCredentials { .. } => GrantType::ClientCredentials,
            Grant::RefreshToken { .. } => GrantType::RefreshToken,
        }
    }
}

/// A token request: who asks (not yet authenticated), for what, and with which DPoP proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub client: Credentials,
    pub grant: Grant,
    /// The `DPoP` header's proof (RFC 9449 §4), unchecked yet: the use case checks it against
    /// the endpoint's URL and its clock.
    pub dpop: Option<String>,
}

impl TokenRequest {
    /// Parses the form (repeated parameters already refused), the `Authorization` header's
    /// value and the `DPoP` header's (one at most: the HTTP layer refuses several). A missing `grant_type` or grant parameter is `invalid_request`, a grant type this
    /// server does not know `unsupported_grant_type` (RFC 6749 §5.2), malformed credentials
    /// `invalid_client` or `invalid_request` as [`Credentials::parse`] says.
    pub fn parse(
        authorization: Option<&str>,
        dpop: Option<&str>,
        p: &Params,
    ) -> Result<TokenRequest, OAuthError> {
        let grant_type = p.require("grant_type")?;
        let client = Credentials::parse(authorization, p)?;
        let owned = |name: &str| p.get(name).map(String::from);
        let grant = match GrantType::parse(grant_type).ok() {
            Some(GrantType::AuthorizationCode) => Grant::AuthorizationCode {
                code: p.require("code")?.into(),
                redirect_uri: owned("redirect_uri"),
                code_verifier: owned("code_verifier"),
            },
            Some(GrantType::ClientCredentials) => Grant::ClientCredentials {
                scope: owned("scope"),
            },
            Some(GrantType::RefreshToken) => Grant::RefreshToken {
                refresh_token: p.require("refresh_token")?.into(),
                scope: owned("scope"),
            },
            None => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    format!(
                        "grant_type {} is not supported",
                        crate::error::shown(grant_type)
                    ),
                ));
            }
        };
        Ok(TokenRequest {
            client,
            grant,
            dpop: dpop.map(String::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn b64(s: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }

    fn code(e: OAuthError) -> ErrorCode {
        e.code
    }

    #[test]
    fn each_grant_parses_to_its_parameters() {
        let auth = b64("app:s3cret");
        let r = TokenRequest::parse(
            Some(&auth),
            None,
            &form(&[
                ("grant_type", "authorization_code"),
                ("code", "c1"),
                ("redirect_uri", "https://a.example/cb"),
                ("code_verifier", "v"),
            ]),
        )
        .unwrap();
        assert_eq!(
            r,
            TokenRequest {
                client: Credentials::Basic {
                    client_id: "app".into(),
                    secret: "s3cret".into()
                },
                grant: Grant::AuthorizationCode {
                    code: "c1".into(),
                    redirect_uri: Some("https://a.example/cb".into()),
                    code_verifier: Some("v".into()),
                },
                dpop: None,
            }
        );
        let r = TokenRequest::parse(
            None,
            None,
            &form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "rt"),
                ("client_id", "pub"),
            ]),
        )
        .unwrap();
        assert_eq!(r.grant.grant_type(), GrantType::RefreshToken);
        assert_eq!(
            r.client,
            Credentials::None {
                client_id: "pub".into()
            }
        );
        let r = TokenRequest::parse(
            Some(&auth),
            None,
            &form(&[("grant_type", "client_credentials"), ("scope", "accounts")]),
        )
        .unwrap();
        assert_eq!(
            r.grant,
            Grant::ClientCredentials {
                scope: Some("accounts".into())
            }
        );
    }

    #[test]
    fn what_is_refused_and_how() {
        let auth = b64("app:s3cret");
        type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], ErrorCode);
        let cases: &[Case] = &[
            (Some(&auth), &[], ErrorCode::InvalidRequest),
            (
                Some(&auth),
                &[("grant_type", "password")],
                ErrorCode::UnsupportedGrantType,
            ),
            (
                Some(&auth),
                &[("grant_type", "authorization_code")],
                ErrorCode::InvalidRequest,
            ),
            (
                Some(&auth),
                &[("grant_type", "refresh_token")],
                ErrorCode::InvalidRequest,
            ),
            (
                Some("Bearer x"),
                &[("grant_type", "client_credentials")],
                ErrorCode::InvalidClient,
            ),
            (
                Some("Basic !!!"),
                &[("grant_type", "client_credentials")],
                ErrorCode::InvalidClient,
            ),
            (
                Some(&auth),
                &[("grant_type", "client_credentials"), ("client_secret", "x")],
                ErrorCode::InvalidRequest,
            ),
            (
                Some(&auth),
                &[("grant_type", "client_credentials"), ("client_id", "other")],
                ErrorCode::InvalidRequest,
            ),
            (
                None,
                &[("grant_type", "client_credentials"), ("client_secret", "x")],
                ErrorCode::InvalidRequest,
            ),
            (
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_assertion", "a.b.c"),
                    ("client_assertion_type", "other"),
                ],
                ErrorCode::InvalidRequest,
            ),
            (
                None,
                &[("grant_type", "client_credentials")],
                ErrorCode::InvalidClient,
            ),
        ];
        for (authorization, pairs, want) in cases {
            let got = TokenRequest::parse(*authorization, None, &form(pairs)).map_err(code);
            assert_eq!(got.err(), Some(*want), "{authorization:?} {pairs:?}");
        }
    }

    #[test]
    fn basic_credentials_are_form_decoded_and_the_scheme_is_any_case() {
        let auth = format!(
            "bAsIc {}",
            base64::engine::general_purpose::STANDARD.encode("my%20app:p%3Ass")
        );
        let c = Credentials::parse(Some(&auth), &form(&[])).unwrap();
        assert_eq!(
            c,
            Credentials::Basic {
                client_id: "my app".into(),
                secret: "p:ss".into()
            }
        );
        let nul = b64("a%00:b");
        assert_eq!(
            Credentials::parse(Some(&nul), &form(&[]))
                .map_err(code)
                .err(),
            Some(ErrorCode::InvalidClient)
        );
    }
}
