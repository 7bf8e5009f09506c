//! `/authorize`, `/login`, `/consent`: render `api::authorize` outcomes, manage cookies.

use super::form::{Params, cookie};
use super::pages;
use crate::api::authorize::{INTERACTION_SECONDS, Outcome, SESSION_SECONDS};
use crate::api::{Authdesk, IssuerKind, IssuerSite};
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The cookies' names: with an `https://` issuer, `__Host-` names, which browsers accept
/// only with `Secure`, `Path=/` and no `Domain` (so no other host can set or widen them).
/// Each issuer of a profile has its own (Banno's two issuers share an origin, not sessions).
pub(super) struct Cookies {
    pub(super) session: String,
    pub(super) interaction: String,
    pub(super) secure: bool,
}

pub(super) fn cookies(app: &Authdesk, issuer: IssuerKind) -> Cookies {
    let secure = app.issuer().starts_with("https://");
    let prefix = if secure { "__Host-" } else { "" };
    let suffix = match issuer {
        IssuerKind::Main => String::new(),
        other => format!("_{}", other.as_str()),
    };
    Cookies {
        session: format!("{prefix}authdesk_session{suffix}"),
        interaction: format!("{prefix}authdesk_interaction{suffix}"),
        secure,
    }
}

pub(super) fn set_cookie(resp: &mut Response, secure: bool, name: &str, value: &str, max_age: i64) {
    let c = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub(super) fn see_other(url: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(url) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn render(
    app: &Authdesk,
    issuer: IssuerKind,
    outcome: Outcome,
    interaction: Option<String>,
    session: Option<String>,
) -> Response {
    let mut resp = match outcome {
        Outcome::ErrorPage { message } => pages::error_page(&message),
        Outcome::RefusedPage { message, error } => {
            let mut r = pages::error_page(&format!("{message} (error: {})", error.as_str()));
            r.extensions_mut()
                .insert(crate::metrics::ErrorCodeTag(error));
            r
        }
        Outcome::Redirect(url) => see_other(&url),
        Outcome::ErrorRedirect { to, error } => {
            let mut r = see_other(&to);
            r.extensions_mut()
                .insert(crate::metrics::ErrorCodeTag(error));
            r
        }
        Outcome::Login(ctx) => pages::login(&ctx),
        Outcome::Throttled { page, retry_after } => {
            let mut r = pages::login(&page);
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            r
        }
        Outcome::Consent(ctx) => pages::consent(&ctx),
    };
    let names = cookies(app, issuer);
    if let Some(i) = interaction {
        set_cookie(
            &mut resp,
            names.secure,
            &names.interaction,
            &i,
            INTERACTION_SECONDS,
        );
    }
    if let Some(s) = session {
        set_cookie(&mut resp, names.secure, &names.session, &s, SESSION_SECONDS);
    }
    resp
}

pub(super) fn internal(e: crate::api::ApiError) -> Response {
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

async fn start(
    app: Arc<Authdesk>,
    at: &IssuerSite,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let session = cookie(&headers, &cookies(&app, at.kind).session).map(String::from);
    match app.authorize_start(at, &params, session.as_deref()).await {
        Ok((outcome, interaction)) => render(&app, at.kind, outcome, interaction, None),
        Err(e) => internal(e),
    }
}

pub async fn authorize_get(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    match super::form::from_query(q.as_deref()) {
        Ok(p) => start(app, &at, headers, p).await,
        Err(e) => pages::error_page(&e.description),
    }
}

pub async fn authorize_post(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Response {
    match super::form::from_form(&headers, &body) {
        Ok(p) => start(app, &at, headers, p).await,
        Err(e) => pages::error_page(&e.description),
    }
}

pub async fn login(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Response {
    let p = match super::form::from_form(&headers, &body) {
        Ok(p) => p,
        Err(e) => return pages::error_page(&e.description),
    };
    let r = app
        .authorize_login(
            p.get("interaction").unwrap_or(""),
            cookie(&headers, &cookies(&app, at.kind).interaction),
            p.get("csrf_token").unwrap_or(""),
            p.get("username").unwrap_or(""),
            p.get("password").unwrap_or(""),
        )
        .await;
    match r {
        Ok((outcome, session)) => render(&app, at.kind, outcome, None, session),
        Err(e) => internal(e),
    }
}

pub async fn consent(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Response {
    let p = match super::form::from_form(&headers, &body) {
        Ok(p) => p,
        Err(e) => return pages::error_page(&e.description),
    };
    let r = app
        .authorize_consent(
            p.get("interaction").unwrap_or(""),
            cookie(&headers, &cookies(&app, at.kind).interaction),
            p.get("csrf_token").unwrap_or(""),
            p.get("decision").unwrap_or(""),
        )
        .await;
    match r {
        Ok(outcome) => render(&app, at.kind, outcome, None, None),
        Err(e) => internal(e),
    }
}
