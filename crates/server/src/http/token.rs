//! `/token`, `/introspect`, `/revoke`, `/userinfo`.

use super::error::{HttpError, no_store};
use super::form::Params;
use crate::api::client_auth::{ASSERTION_TYPE, Credentials};
use crate::api::{Authdesk, IssuerSite};
use authdesk_core::site::Endpoint;
use authdesk_core::{ErrorCode, OAuthError};
use authdesk_store::clients::ClientRow;
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::sync::Arc;

/// The credentials of an `Authorization` value if it uses `scheme`, whose name is
/// case-insensitive (RFC 9110 §11.1, RFC 7617 §2: `BASIC`, `basic` and `Basic` are one scheme).
fn scheme_credentials<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// Reads the client's credentials from the Authorization header and the form, refusing a
/// request that uses more than one method (RFC 6749 §2.3).
fn credentials(headers: &HeaderMap, p: &Params) -> Result<Credentials, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| OAuthError::invalid_client("malformed Authorization header"))?;
            let Some(b64) = scheme_credentials(v, "Basic") else {
                return Err(OAuthError::invalid_client(
                    "the Authorization header must use the Basic scheme",
                ));
            };
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
            let (id, secret) = raw
                .split_once(':')
                .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
            // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
            let decode = |s: &str| {
                form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let (id, secret) = (decode(id), decode(secret));
            if id.contains('\0') || secret.contains('\0') {
                return Err(OAuthError::invalid_client("malformed Basic credentials"));
            }
            Some((id, secret))
        }
    };
    let post_secret = p.get("client_secret");
    let assertion = p.get("client_assertion");
    let assertion_type = p.get("client_assertion_type");
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
        if assertion_type != Some(ASSERTION_TYPE) {
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

/// Authenticates the client at the issuer `at`'s `endpoint`: an assertion's `aud` may be the
/// issuer, its token endpoint, or the endpoint called (RFC 7523 §3).
async fn authenticate(
    app: &Authdesk,
    at: &IssuerSite,
    headers: &HeaderMap,
    p: &Params,
    endpoint: Endpoint,
) -> Result<Arc<ClientRow>, HttpError> {
    let creds = credentials(headers, p)?;
    let audiences = [
        at.url.clone(),
        at.url_of(Endpoint::Token),
        at.url_of(endpoint),
    ];
    Ok(app.client_authenticate(&creds, &audiences).await?)
}

fn parse(headers: &HeaderMap, body: &Bytes) -> Result<Params, HttpError> {
    let p = super::form::from_form(headers, body)?;
    p.reject_duplicates()?;
    Ok(p)
}

fn json_no_store<T: serde::Serialize>(v: T) -> Response {
    let mut r = Json(v).into_response();
    no_store(&mut r);
    r
}

pub async fn token(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Result<Response, HttpError> {
    let p = parse(&headers, &body)?;
    let grant_type = p.require("grant_type")?;
    let client = authenticate(&app, &at, &headers, &p, Endpoint::Token).await?;
    let (grant_type, resp) = match grant_type {
        "authorization_code" => (
            "authorization_code",
            app.exchange_code(
                &at,
                &client,
                p.require("code")?,
                p.get("redirect_uri"),
                p.get("code_verifier"),
            )
            .await?,
        ),
        "client_credentials" => (
            "client_credentials",
            app.client_credentials(&at, &client, p.get("scope")).await?,
        ),
        "refresh_token" => (
            "refresh_token",
            app.refresh(&at, &client, p.require("refresh_token")?, p.get("scope"))
                .await?,
        ),
        other => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!(
                    "grant_type {} is not supported",
                    authdesk_core::error::shown(other)
                ),
            )
            .into());
        }
    };
    let mut resp = json_no_store(resp);
    resp.extensions_mut().insert(crate::metrics::Issued {
        grant_type,
        client_id: client.id.clone(),
    });
    Ok(resp)
}

pub async fn introspect(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Result<Response, HttpError> {
    let p = parse(&headers, &body)?;
    let client = authenticate(&app, &at, &headers, &p, Endpoint::Introspect).await?;
    let token = p.require("token")?;
    Ok(json_no_store(app.introspect(&at, &client, token).await?))
}

pub async fn revoke(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Result<Response, HttpError> {
    let p = parse(&headers, &body)?;
    let client = authenticate(&app, &at, &headers, &p, Endpoint::Revoke).await?;
    let token = p.require("token")?;
    app.revoke_token(&at, &client, token, p.get("token_type_hint"))
        .await?;
    let mut r = StatusCode::OK.into_response();
    no_store(&mut r);
    Ok(r)
}

/// The bearer access token of a request (RFC 6750 §2.1), or the `invalid_token` answer.
pub(super) fn bearer_token(headers: &HeaderMap) -> Result<&str, HttpError> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth.and_then(|a| scheme_credentials(a, "Bearer")) {
        Some(t) if !t.is_empty() => Ok(t),
        _ => Err(HttpError {
            error: OAuthError::new(ErrorCode::InvalidToken, "a bearer access token is required"),
            bearer: true,
            status: None,
        }),
    }
}

pub async fn userinfo(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let token = bearer_token(&headers)?;
    match app.userinfo(&at, token).await {
        Ok(v) => Ok(json_no_store(v)),
        Err(crate::api::ApiError::OAuth(e)) => Err(HttpError {
            error: e,
            bearer: true,
            status: None,
        }),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    //! Property tests of what the token endpoints parse from a hostile caller: the form body,
    //! the Authorization header, client assertions. No input panics; Basic credentials encoded
    //! as RFC 6749 §2.3.1 says come back unchanged.
    use super::*;
    use proptest::prelude::*;

    fn form_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        h
    }

    fn basic(id: &str, secret: &str, scheme: &str) -> HeaderMap {
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let raw = format!("{}:{}", enc(id), enc(secret));
        let mut h = HeaderMap::new();
        let value = format!(
            "{scheme} {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        );
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn form_bodies_never_panic_and_repeats_are_refused(
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                "([a-z_]{1,6}=[a-zA-Z0-9%+&=]{0,8}&?){0,8}".prop_map(String::into_bytes),
            ]
        ) {
            let body = Bytes::from(body);
            if let Ok(p) = crate::http::form::from_form(&form_headers(), &body) {
                let names: Vec<&str> = p.0.iter().map(|(k, _)| k.as_str()).collect();
                let unique: std::collections::HashSet<&str> = names.iter().copied().collect();
                prop_assert_eq!(p.reject_duplicates().is_ok(), unique.len() == names.len());
                for (k, v) in &p.0 {
                    prop_assert!(v.len() <= authdesk_core::params::max_len(k));
                }
            }
        }

        #[test]
        fn basic_credentials_round_trip(
            id in "[ -~]{1,40}",
            secret in "[ -~\u{a0}-\u{2ff}]{0,40}",
            scheme in prop_oneof![Just("Basic"), Just("BASIC"), Just("basic"), Just("bAsIc")],
        ) {
            let creds = credentials(&basic(&id, &secret, scheme), &Params(vec![])).unwrap();
            match creds {
                Credentials::Basic { client_id, secret: s } => {
                    prop_assert_eq!(client_id, id);
                    prop_assert_eq!(s, secret);
                }
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn authorization_headers_and_assertions_never_panic(
            header_value in "[ -~]{0,80}",
            assertion in prop_oneof![
                "[A-Za-z0-9_.-]{0,120}",
                any::<String>(),
                (any::<Vec<u8>>(), any::<Vec<u8>>()).prop_map(|(h, p)| {
                    let e = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
                    format!("{}.{}.sig", e(&h), e(&p))
                }),
            ],
        ) {
            let mut h = HeaderMap::new();
            if let Ok(v) = header_value.parse() {
                h.insert(header::AUTHORIZATION, v);
            }
            let p = Params(vec![
                ("client_assertion".into(), assertion.clone()),
                ("client_assertion_type".into(), ASSERTION_TYPE.into()),
            ]);
            match credentials(&h, &p) {
                // Only one method may be used: a header and an assertion together are refused.
                Ok(Credentials::Assertion { .. }) => prop_assert!(!h.contains_key(header::AUTHORIZATION)),
                Ok(other) => prop_assert!(false, "{other:?}"),
                Err(e) => prop_assert!(matches!(e.code, ErrorCode::InvalidRequest | ErrorCode::InvalidClient)),
            }
            let _ = crate::signing::unverified_claim(&assertion, "sub");
            let _ = jsonwebtoken::decode_header(&assertion);
        }
    }
}
