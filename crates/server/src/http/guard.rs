//! What every request passes before a handler: the `Host` it names must be this issuer or a
//! loopback address (a DNS-rebinding page, whose name resolves to 127.0.0.1, names its own
//! host and is refused); a body announced larger than `form::BODY_LIMIT` is refused with 413
//! (`form::Body` refuses one that just kept coming the same way); and every response says
//! `X-Content-Type-Options: nosniff`.

use super::error::HttpError;
use super::form::BODY_LIMIT;
use crate::api::Authdesk;
use authdesk_core::OAuthError;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

pub async fn guard(State(app): State<Arc<Authdesk>>, req: Request, next: Next) -> Response {
    let hosts = req.headers().get_all(header::HOST).iter().count();
    let named = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    // An absolute-form request line (`GET http://host/path`) names a host of its own: it
    // must be the Host header's, and pass the same check.
    let absolute = req
        .uri()
        .authority()
        .map(axum::http::uri::Authority::as_str);
    let host = named.or(absolute);
    let disagree = matches!((named, absolute), (Some(h), Some(a)) if !h.eq_ignore_ascii_case(a));
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut resp = match host {
        _ if hosts > 1 => HttpError::from(OAuthError::invalid_request(
            "the request has more than one Host header",
        ))
        .into_response(),
        _ if disagree => HttpError::from(OAuthError::invalid_request(
            "the request line names another host than the Host header",
        ))
        .into_response(),
        Some(h) if !host_allowed(h, &app.issuer()) => HttpError::from(OAuthError::invalid_request(
            "the Host header names neither this issuer nor a loopback address",
        ))
        .into_response(),
        None => HttpError::from(OAuthError::invalid_request("the Host header is missing"))
            .into_response(),
        _ if announced.is_some_and(|n| n > BODY_LIMIT as u64) => {
            super::form::too_large().into_response()
        }
        // A body without a length that kept coming is refused by `form::Body` the same way.
        _ => next.run(req).await,
    };
    resp.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// `host` (a Host header: name or address, optional port) is the issuer's host and port, or
/// a loopback address or `localhost` on any port.
pub fn host_allowed(host: &str, issuer: &str) -> bool {
    // The common case, answered without parsing: the issuer's own authority, as clients
    // build it from the issuer URL.
    let authority = issuer
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest));
    if authority.is_some_and(|a| !a.is_empty() && a.eq_ignore_ascii_case(host)) {
        return true;
    }
    let Some((name, port)) = split_host(host) else {
        return false;
    };
    if name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    {
        return true;
    }
    let Ok(issuer) = url::Url::parse(issuer) else {
        return false;
    };
    let issuer_host = issuer.host_str().unwrap_or("");
    let issuer_host = issuer_host.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case(issuer_host)
        && port.unwrap_or(default_port(issuer.scheme()))
            == issuer.port_or_known_default().unwrap_or(0)
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "https" { 443 } else { 80 }
}

/// A Host value's name (brackets of an IPv6 literal removed) and port, if well-formed.
fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = host.strip_prefix('[') {
        let (name, after) = rest.split_once(']')?;
        return match after {
            "" => Some((name, None)),
            p => Some((name, Some(p.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match host.rsplit_once(':') {
        Some((name, p)) => Some((name, Some(p.parse().ok()?))),
        None if !host.is_empty() => Some((host, None)),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn hosts() {
        let cases = [
            ("127.0.0.1:8400", "https://auth.example.com", true),
            ("127.0.0.5", "https://auth.example.com", true),
            ("localhost:3000", "https://auth.example.com", true),
            ("[::1]:8400", "https://auth.example.com", true),
            ("auth.example.com", "https://auth.example.com", true),
            ("AUTH.example.com:443", "https://auth.example.com", true),
            ("auth.example.com:8443", "https://auth.example.com", false),
            (
                "auth.example.com:8443",
                "https://auth.example.com:8443",
                true,
            ),
            ("auth.example.com", "http://auth.example.com:8080", false),
            ("evil.example", "http://127.0.0.1:8400", false),
            ("evil.example:8400", "http://127.0.0.1:8400", false),
            ("127.0.0.1.evil.example", "http://127.0.0.1:8400", false),
            ("10.0.0.5:8400", "http://10.0.0.5:8400", true),
            ("10.0.0.6:8400", "http://10.0.0.5:8400", false),
            ("", "http://127.0.0.1:8400", false),
            ("127.0.0.1:notaport", "http://127.0.0.1:8400", false),
            ("[::1", "http://127.0.0.1:8400", false),
        ];
        for (host, issuer, ok) in cases {
            assert_eq!(host_allowed(host, issuer), ok, "{host} for {issuer}");
        }
    }
}
