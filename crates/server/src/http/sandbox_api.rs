//! The Banno profile's sandbox consumer API (`serve --sandbox-api`), thin adapters over
//! `api::sandbox_api`: a bearer token in, JSON out; refusals are RFC 6750 (401 `invalid_token`,
//! 403 `insufficient_scope`, both with `WWW-Authenticate`), an unknown account or task 404.

use super::error::HttpError;
use super::token::presented;
use crate::api::{ApiError, Authdesk, IssuerSite};
use authdesk_core::dpop::Presented;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use std::sync::Arc;

type At = Extension<Arc<IssuerSite>>;

fn answer(r: crate::api::Result<Value>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(ApiError::NotFound(what)) => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "not_found", "error_description": what})),
        )
            .into_response(),
        Err(ApiError::OAuth(e)) => HttpError {
            error: e,
            bearer: true,
            status: None,
        }
        .into_response(),
        Err(e) => HttpError::from(e).into_response(),
    }
}

/// Runs `call` with the access token the request presents (Bearer, or DPoP with its proof of
/// this method and URL), or answers 401 without one.
async fn with_token<F, Fut>(url: String, method: &Method, headers: &HeaderMap, call: F) -> Response
where
    F: FnOnce(Presented) -> Fut,
    Fut: std::future::Future<Output = crate::api::Result<Value>>,
{
    match presented(headers, method, &url) {
        Ok(t) => answer(call(t).await),
        Err(e) => e.into_response(),
    }
}

/// The URL a client addresses a sandbox API path by: the issuer's origin and the path (a DPoP
/// proof's `htu`).
fn resource_url(at: &IssuerSite, uri: &Uri) -> String {
    let origin = url::Url::parse(&at.url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    format!("{origin}{}", uri.path())
}

pub async fn accounts(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path(user): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    with_token(resource_url(&at, &uri), &method, &headers, |t| async move {
        app.sandbox_accounts(&at, &t, &user).await
    })
    .await
}

pub async fn transactions(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path((user, account)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let p = super::form::from_query(q.as_deref()).unwrap_or_default();
    let number = |k: &str, default: usize| {
        p.get(k)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let (offset, limit) = (number("offset", 0), number("limit", 100));
    with_token(resource_url(&at, &uri), &method, &headers, |t| async move {
        app.sandbox_transactions(&at, &t, &user, &account, offset, limit)
            .await
    })
    .await
}

pub async fn fetch(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path(user): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    with_token(resource_url(&at, &uri), &method, &headers, |t| async move {
        app.sandbox_fetch(&at, &t, &user).await
    })
    .await
}

pub async fn task(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path((user, task)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    with_token(resource_url(&at, &uri), &method, &headers, |t| async move {
        app.sandbox_task(&at, &t, &user, &task).await
    })
    .await
}

pub async fn user(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path(user): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    with_token(resource_url(&at, &uri), &method, &headers, |t| async move {
        app.sandbox_user(&at, &t, &user).await
    })
    .await
}
