//! Request parameters: form bodies parsed by hand so repeated parameters are seen (RFC 6749
//! §3.1: "MUST NOT be included more than once") instead of silently collapsed.

use super::HttpError;
use super::listener::BodyTimedOut;
use authdesk_core::OAuthError;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};

pub use authdesk_core::params::Params;

/// Parameters from a query string; a value longer than its parameter allows is refused.
pub fn from_query(q: Option<&str>) -> Result<Params, OAuthError> {
    Params(
        form_urlencoded::parse(q.unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
    )
    .checked()
}

/// Parameters from a form body; anything but `application/x-www-form-urlencoded`, or a value
/// longer than its parameter allows, is refused.
pub fn from_form(headers: &HeaderMap, body: &Bytes) -> Result<Params, OAuthError> {
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

/// The largest body an OAuth endpoint reads (the longest parameters fit many times).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A request's body, read whole within `BODY_LIMIT` and the listener's body timeout. A body
/// that cannot be read is an RFC 6749 error in JSON: 413 too large, 408 too slow
/// (`listener::BodyTimedOut`), 400 malformed (a broken chunked encoding, a cut connection).
pub struct Body(pub Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = HttpError;

    async fn from_request(req: axum::extract::Request, _: &S) -> Result<Self, HttpError> {
        match axum::body::to_bytes(req.into_body(), BODY_LIMIT).await {
            Ok(b) => Ok(Body(b)),
            Err(e) => Err(unreadable(&e)),
        }
    }
}

/// 413 for a body over `BODY_LIMIT`, announced or read.
pub fn too_large() -> HttpError {
    HttpError::with_status(
        OAuthError::invalid_request(format!(
            "the request body is larger than {} KiB",
            BODY_LIMIT / 1024
        )),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
}

fn unreadable(e: &axum::Error) -> HttpError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return too_large();
        }
        if let Some(t) = c.downcast_ref::<BodyTimedOut>() {
            return HttpError::with_status(
                OAuthError::invalid_request(t.to_string()),
                StatusCode::REQUEST_TIMEOUT,
            );
        }
        cause = c.source();
    }
    HttpError::from(OAuthError::invalid_request(
        "the request body could not be read (malformed or cut short)",
    ))
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
