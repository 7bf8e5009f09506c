//! The logout endpoint (RP-Initiated Logout 1.0): render `api::logout` outcomes, end the
//! session cookie.

use super::authorize::{cookies, internal, see_other, set_cookie};
use super::form::{Params, cookie};
use super::pages;
use crate::api::logout::LogoutOutcome;
use crate::api::{Authdesk, IssuerSite};
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

fn render(outcome: LogoutOutcome) -> Response {
    match outcome {
        LogoutOutcome::Refused(why) => pages::error_page(&why),
        LogoutOutcome::Confirm(c) => pages::logout_confirm(&c),
        LogoutOutcome::Redirect(to) => see_other(&to),
        LogoutOutcome::Done { signed_out } => pages::logged_out(signed_out),
    }
}

pub async fn logout_get(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let p = match super::form::from_query(q.as_deref()) {
        Ok(p) => p,
        Err(e) => return pages::error_page(&e.description),
    };
    start_or_confirm(&app, &at, &headers, p).await
}

pub async fn logout_post(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
    headers: HeaderMap,
    super::form::Body(body): super::form::Body,
) -> Response {
    let p = match super::form::from_form(&headers, &body) {
        Ok(p) => p,
        Err(e) => return pages::error_page(&e.description),
    };
    start_or_confirm(&app, &at, &headers, p).await
}

/// A request with a `decision` is the confirmation form; anything else asks (RP-Initiated
/// Logout allows GET and POST for the app's request).
async fn start_or_confirm(
    app: &Authdesk,
    at: &IssuerSite,
    headers: &HeaderMap,
    p: Params,
) -> Response {
    if let Some(k) = p.first_repeated() {
        return pages::error_page(&format!("The parameter {k} is repeated."));
    }
    let names = cookies(app, at.kind);
    let session = cookie(headers, &names.session);
    let confirming = p.get("decision").is_some();
    let outcome = if confirming {
        app.logout_confirm(at, &p, session).await
    } else {
        app.logout_start(at, &p, session).await
    };
    match outcome {
        Ok(o) => {
            // A confirmed sign-out drops the cookie too, whether or not its session was live.
            let ended = p.get("decision") == Some("logout")
                && matches!(o, LogoutOutcome::Redirect(_) | LogoutOutcome::Done { .. });
            let mut r = render(o);
            if ended {
                set_cookie(&mut r, names.secure, &names.session, "", 0);
            }
            r
        }
        Err(e) => internal(e),
    }
}
