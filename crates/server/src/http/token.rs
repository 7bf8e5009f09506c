//! `/token`, `/introspect`, `/revoke`, `/userinfo`.

use super::error::{HttpError, no_store};
use super::form::Params;
use crate::api::{Authdesk, IssuerSite};
use authdesk_core::site::Endpoint;
use authdesk_core::token_request::{Credentials, TokenRequest};
use authdesk_core::{OAuthError, dpop};
use authdesk_store::clients::ClientRow;
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The `Authorization` header's value, if any; one that is not visible ASCII is refused.
fn authorization(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str())
        .transpose()
        .map_err(|_| OAuthError::invalid_client("malformed Authorization header"))
}

/// The client's credentials (`core::token_request::Credentials::parse`).
fn credentials(headers: &HeaderMap, p: &Params) -> Result<Credentials, OAuthError> {
    Credentials::parse(authorization(headers)?, p)
}

/// Authenticates the client at the issuer `at`'s `endpoint`.
async fn authenticate(
    app: &Authdesk,
    at: &IssuerSite,
    headers: &HeaderMap,
    p: &Params,
    endpoint: Endpoint,
) -> Result<Arc<ClientRow>, HttpError> {
    let creds = credentials(headers, p)?;
    Ok(app.client_authenticate_at(&creds, at, endpoint).await?)
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

/// The token endpoint: the form parsed into one typed request (`core::token_request`), handed
/// to the use case.
pub async fn token(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Result<Response, HttpError> {
    let p = parse(&headers, &body)?;
    let request = TokenRequest::parse(authorization(&headers)?, dpop_proof(&headers)?, &p)?;
    let grant_type = request.grant.grant_type();
    let (client, answer) = app.token(&at, request).await?;
    let mut resp = json_no_store(answer);
    resp.extensions_mut().insert(crate::metrics::Issued {
        grant_type: grant_type.as_str(),
        client_id: client.id.clone(),
    });
    Ok(resp)
}

/// The PAR endpoint (RFC 9126): the app authenticates as at the token endpoint; 201 with the
/// `request_uri`, or the authorization endpoint's error as JSON.
pub async fn par(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Result<Response, HttpError> {
    let p = parse(&headers, &body)?;
    let creds = credentials(&headers, &p)?;
    let dpop = dpop_proof(&headers)?;
    let pushed = app
        .push_authorization_request(&at, &creds, &p, dpop)
        .await?;
    let mut r = json_no_store(pushed);
    *r.status_mut() = StatusCode::CREATED;
    Ok(r)
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

/// The `DPoP` headers' values (a value that is not text counts, and fails as a proof).
fn dpop_headers(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("dpop")
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .collect()
}

/// The one `DPoP` proof a request to the token or PAR endpoint may carry (RFC 9449 §4.3 step
/// 1: several are refused).
fn dpop_proof(headers: &HeaderMap) -> Result<Option<&str>, OAuthError> {
    dpop::single_header(&dpop_headers(headers))
}

/// The access token a request to a resource presents (RFC 6750 §2.1 Bearer, or RFC 9449 §7.1
/// DPoP with its proof), and the method and URL the proof must name: `url` is the resource's
/// URL as clients address it. Without a token: the `invalid_token` answer.
pub(super) fn presented(
    headers: &HeaderMap,
    method: &axum::http::Method,
    url: &str,
) -> Result<dpop::Presented, HttpError> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    dpop::Presented::parse(auth, &dpop_headers(headers), method.as_str(), url).map_err(|error| {
        HttpError {
            error,
            bearer: true,
            status: None,
        }
    })
}

pub async fn userinfo(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let token = presented(&headers, &method, &at.url_of(Endpoint::Userinfo))?;
    match app.userinfo(&at, &token).await {
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
    use authdesk_core::ErrorCode;
    use authdesk_core::token_request::ASSERTION_TYPE;
    use base64::Engine;
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
