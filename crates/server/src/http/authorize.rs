//! `/authorize`, `/login`, `/consent`: render `api::authorize` outcomes, manage cookies.

use super::form::{cookie, Params};
use super::pages;
use crate::api::authorize::{Outcome, INTERACTION_SECONDS, SESSION_SECONDS};
use crate::api::Authdesk;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

const SESSION_COOKIE: &str = "authdesk_session";
const INTERACTION_COOKIE: &str = "authdesk_interaction";

fn set_cookie(resp: &mut Response, secure: bool, name: &str, value: &str, max_age: i64) {
    let c = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn render(
    app: &Authdesk,
    outcome: Outcome,
    interaction: Option<String>,
    session: Option<String>,
) -> Response {
    let mut resp = match outcome {
        Outcome::ErrorPage { message } => pages::error_page(&message),
        Outcome::Redirect(url) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&url) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Outcome::Login(ctx) => pages::login(&ctx),
        Outcome::Consent(ctx) => pages::consent(&ctx),
    };
    let secure = app.issuer().starts_with("https://");
    if let Some(i) = interaction {
        set_cookie(
            &mut resp,
            secure,
            INTERACTION_COOKIE,
            &i,
            INTERACTION_SECONDS,
        );
    }
    if let Some(s) = session {
        set_cookie(&mut resp, secure, SESSION_COOKIE, &s, SESSION_SECONDS);
    }
    resp
}

fn internal(e: crate::api::ApiError) -> Response {
    if let crate::api::ApiError::Unavailable(cause) = &e {
        tracing::warn!(%cause, "authorization endpoint refused a request: the store is busy or failing");
        let mut r = pages::error_page("The server is busy. Try again in a moment.");
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(super::error::RETRY_AFTER_SECONDS),
        );
        return r;
    }
    tracing::error!(error = %e, "authorization endpoint failed");
    let mut r = pages::error_page("The server could not complete the request. Try again.");
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

async fn start(app: Arc<Authdesk>, headers: HeaderMap, params: Params) -> Response {
    match app
        .authorize_start(&params.0, cookie(&headers, SESSION_COOKIE))
        .await
    {
        Ok((outcome, interaction)) => render(&app, outcome, interaction, None),
        Err(e) => internal(e),
    }
}

pub async fn authorize_get(
    State(app): State<Arc<Authdesk>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    start(app, headers, Params::from_query(q.as_deref())).await
}

pub async fn authorize_post(
    State(app): State<Arc<Authdesk>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match Params::from_form(&headers, &body) {
        Ok(p) => start(app, headers, p).await,
        Err(e) => pages::error_page(&e.description),
    }
}

pub async fn login(State(app): State<Arc<Authdesk>>, headers: HeaderMap, body: Bytes) -> Response {
    let p = match Params::from_form(&headers, &body) {
        Ok(p) => p,
        Err(e) => return pages::error_page(&e.description),
    };
    let r = app
        .authorize_login(
            p.get("interaction").unwrap_or(""),
            cookie(&headers, INTERACTION_COOKIE),
            p.get("csrf_token").unwrap_or(""),
            p.get("username").unwrap_or(""),
            p.get("password").unwrap_or(""),
        )
        .await;
    match r {
        Ok((outcome, session)) => render(&app, outcome, None, session),
        Err(e) => internal(e),
    }
}

pub async fn consent(
    State(app): State<Arc<Authdesk>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match Params::from_form(&headers, &body) {
        Ok(p) => p,
        Err(e) => return pages::error_page(&e.description),
    };
    let r = app
        .authorize_consent(
            p.get("interaction").unwrap_or(""),
            cookie(&headers, INTERACTION_COOKIE),
            p.get("csrf_token").unwrap_or(""),
            p.get("decision").unwrap_or(""),
        )
        .await;
    match r {
        Ok(outcome) => render(&app, outcome, None, None),
        Err(e) => internal(e),
    }
}
