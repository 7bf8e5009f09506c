//! The Banno profile's sandbox consumer API (`serve --sandbox-api`), thin adapters over
//! `api::sandbox_api`: a bearer token in, JSON out; refusals are RFC 6750 (401 `invalid_token`,
//! 403 `insufficient_scope`, both with `WWW-Authenticate`), an unknown account or task 404.

use super::error::HttpError;
use super::token::bearer_token;
use crate::api::{ApiError, Authdesk, IssuerSite};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
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

/// Runs `call` with the request's bearer token, or answers 401 without one.
async fn with_token<F, Fut>(headers: &HeaderMap, call: F) -> Response
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = crate::api::Result<Value>>,
{
    match bearer_token(headers) {
        Ok(t) => answer(call(t.to_string()).await),
        Err(e) => e.into_response(),
    }
}

pub async fn accounts(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    with_token(&headers, |t| async move {
        app.sandbox_accounts(&at, &t, &user).await
    })
    .await
}

pub async fn transactions(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path((user, account)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let p = super::form::from_query(q.as_deref()).unwrap_or_default();
    let number = |k: &str, default: usize| {
        p.get(k)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let (offset, limit) = (number("offset", 0), number("limit", 100));
    with_token(&headers, |t| async move {
        app.sandbox_transactions(&at, &t, &user, &account, offset, limit)
            .await
    })
    .await
}

pub async fn fetch(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    with_token(&headers, |t| async move {
        app.sandbox_fetch(&at, &t, &user).await
    })
    .await
}

pub async fn task(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path((user, task)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    with_token(&headers, |t| async move {
        app.sandbox_task(&at, &t, &user, &task).await
    })
    .await
}

pub async fn user(
    State(app): State<Arc<Authdesk>>,
    Extension(at): At,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    with_token(&headers, |t| async move {
        app.sandbox_user(&at, &t, &user).await
    })
    .await
}
