//! The one place where errors become HTTP responses: RFC 6749 §5.2 bodies, `no-store`,
//! 401 + `WWW-Authenticate` for client authentication, RFC 6750 for bearer tokens. Internal
//! failures are logged and answered with an opaque `server_error`.

use crate::api::ApiError;
use authdesk_core::{ErrorCode, OAuthError};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error at a JSON endpoint (token, introspection, revocation, userinfo).
#[derive(Debug)]
pub struct HttpError {
    pub error: OAuthError,
    /// A resource (userinfo, the sandbox API) answers with `WWW-Authenticate: Bearer ...`, or
    /// `DPoP ...` for an error about a DPoP-bound token or proof (RFC 9449 §7.1), instead of
    /// `Basic`.
    pub bearer: bool,
    /// A status other than the error code's own (413 for a body too large, 408 for one too
    /// slow).
    pub status: Option<StatusCode>,
}

impl HttpError {
    pub fn with_status(error: OAuthError, status: StatusCode) -> Self {
        HttpError {
            error,
            bearer: false,
            status: Some(status),
        }
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        let error = match e {
            ApiError::OAuth(o) => o,
            ApiError::Invalid { .. }
            | ApiError::Refused(_)
            | ApiError::Forbidden(_)
            | ApiError::SignInRequired(_) => OAuthError::invalid_request(e.to_string()),
            ApiError::NotFound(_) => OAuthError::invalid_request(e.to_string()),
            ApiError::Unavailable(msg) => {
                tracing::warn!(cause = %msg, "request refused: the store is busy or failing");
                OAuthError::new(
                    ErrorCode::TemporarilyUnavailable,
                    "the server is busy; retry after the delay in Retry-After",
                )
            }
            ApiError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                OAuthError::server_error()
            }
        };
        HttpError {
            error,
            bearer: false,
            status: None,
        }
    }
}

impl From<OAuthError> for HttpError {
    fn from(error: OAuthError) -> Self {
        HttpError {
            error,
            bearer: false,
            status: None,
        }
    }
}

/// What a client told "temporarily_unavailable" should wait before retrying.
pub const RETRY_AFTER_SECONDS: &str = "1";

pub fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn quoted(s: &str) -> String {
    s.replace(['"', '\\'], "'")
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let e = &self.error;
        let status = self.status.unwrap_or(match e.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            // At a resource a refused proof is a refused credential (RFC 9449 §7.1); at the
            // token endpoint it is a bad request (§5).
            ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce if self.bearer => {
                StatusCode::UNAUTHORIZED
            }
            ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        });
        let mut resp = (
            status,
            Json(json!({"error": e.code.as_str(), "error_description": e.description})),
        )
            .into_response();
        no_store(&mut resp);
        resp.extensions_mut()
            .insert(crate::metrics::ErrorCodeTag(e.code));
        if e.code == ErrorCode::TemporarilyUnavailable {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        let www = if self.bearer
            && matches!(
                e.code,
                ErrorCode::InvalidToken
                    | ErrorCode::InsufficientScope
                    | ErrorCode::InvalidRequest
                    | ErrorCode::InvalidDpopProof
                    | ErrorCode::UseDpopNonce
            ) {
            Some(if e.dpop {
                format!(
                    r#"DPoP realm="authdesk", error="{}", error_description="{}", algs="{}""#,
                    e.code.as_str(),
                    quoted(&e.description),
                    authdesk_core::dpop::ALGS.join(" ")
                )
            } else {
                format!(
                    r#"Bearer realm="authdesk", error="{}", error_description="{}""#,
                    e.code.as_str(),
                    quoted(&e.description)
                )
            })
        } else if e.code == ErrorCode::InvalidClient {
            Some(r#"Basic realm="authdesk""#.to_string())
        } else {
            None
        };
        if let Some(v) = www.and_then(|w| HeaderValue::from_str(&w).ok()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}
