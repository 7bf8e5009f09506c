//! Request parameters: form bodies parsed by hand so repeated parameters are seen (RFC 6749
//! §3.1: "MUST NOT be included more than once") instead of silently collapsed.

use authdesk_core::OAuthError;
use axum::body::Bytes;
use axum::http::{HeaderMap, header};

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
