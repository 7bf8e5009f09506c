//! Discovery (OIDC Discovery 1.0, RFC 8414) and the JWKS. Lists exactly what is supported.

use crate::api::{Authdesk, IssuerSite};
use authdesk_core::alg::Alg;
use authdesk_core::client::GrantType;
use authdesk_core::site::Endpoint;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use std::sync::Arc;

/// The metadata of the issuer `at` (RFC 8414, and with `oidc` OIDC Discovery 1.0): its
/// endpoints by its own names, and what it supports.
pub fn metadata(at: &IssuerSite, oidc: bool, require_par: bool) -> Value {
    let url = |e: Endpoint| at.url_of(e);
    let auth_methods = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ];
    let mut scopes: Vec<String> = [
        "openid",
        "profile",
        "email",
        "phone",
        "address",
        "offline_access",
        "https://api.banno.com/consumer/auth/offline_access",
    ]
    .map(String::from)
    .to_vec();
    if at.kind != authdesk_core::site::IssuerKind::Main {
        // Banno's consumer API scopes (the sandbox API checks them).
        scopes.extend(crate::api::sandbox_api::scopes());
    }
    let mut m = json!({
        "issuer": at.url,
        "authorization_endpoint": url(Endpoint::Authorize),
        "token_endpoint": url(Endpoint::Token),
        "jwks_uri": url(Endpoint::Jwks),
        "introspection_endpoint": url(Endpoint::Introspect),
        "revocation_endpoint": url(Endpoint::Revoke),
        "pushed_authorization_request_endpoint": url(Endpoint::Par),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GrantType::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"],
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "authorization_response_iss_parameter_supported": true,
        // RFC 9126 §5: every app must push (`serve --require-par`), or only the apps whose
        // registration says so.
        "require_pushed_authorization_requests": require_par,
        // RFC 9449 §5.1: proofs are checked at the token endpoint and at our resources.
        "dpop_signing_alg_values_supported": authdesk_core::dpop::ALGS,
    });
    if oidc {
        let mut claims: Vec<&str> = vec![
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "azp",
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
            "address",
        ];
        claims.extend(authdesk_core::claims::PUBLIC_CUSTOM_CLAIMS);
        let algs: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
        let extra = json!({
            "userinfo_endpoint": url(Endpoint::Userinfo),
            "end_session_endpoint": url(Endpoint::Logout),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algs,
            "claims_supported": claims,
            "claims_parameter_supported": true,
            "prompt_values_supported": ["none", "login", "consent"],
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
        });
        for (k, v) in extra.as_object().expect("object") {
            m[k] = v.clone();
        }
    }
    m
}

pub async fn openid_configuration(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
) -> Response {
    Json(metadata(&at, true, app.require_par())).into_response()
}

pub async fn oauth_metadata(
    State(app): State<Arc<Authdesk>>,
    Extension(at): Extension<Arc<IssuerSite>>,
) -> Response {
    Json(metadata(&at, false, app.require_par())).into_response()
}

pub async fn jwks(State(app): State<Arc<Authdesk>>) -> Response {
    let mut r = Json(app.jwks()).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    r
}

pub async fn home(State(app): State<Arc<Authdesk>>) -> Response {
    let site = app.site();
    let issuers: String = site
        .issuers
        .iter()
        .map(|i| {
            format!(
                "<p>Issuer <code>{}</code><br>Discovery: <code>{}</code></p>",
                super::pages::escape(&i.url),
                super::pages::escape(&i.url_of(Endpoint::Discovery))
            )
        })
        .collect();
    super::pages::page(
        StatusCode::OK,
        "Authdesk",
        &format!(
            "<h1>Authdesk</h1><p>OAuth 2.0 / OpenID Connect, {} profile.</p>{issuers}",
            site.profile
        ),
    )
}

pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not_found", "error_description": "no such endpoint"})),
    )
        .into_response()
}

/// Alive: the process answers HTTP (for a load balancer's liveness check; touches nothing).
pub async fn healthz() -> Response {
    no_store(Json(serde_json::json!({"status": "alive"})).into_response())
}

/// Ready: the database answers within the wait limit and its schema is the one this program
/// knows; else 503 with a coarse reason (the details go to the log).
pub async fn readyz(State(app): State<Arc<Authdesk>>) -> Response {
    match app.store().ready().await {
        Ok(schema) => {
            no_store(Json(serde_json::json!({"status": "ready", "schema": schema})).into_response())
        }
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            let reason = match e {
                authdesk_store::StoreError::Busy(_) => "the database is busy",
                authdesk_store::StoreError::Unusable(_) => {
                    "the database's schema is not this version's"
                }
                _ => "the database cannot be reached or cannot take work now",
            };
            let mut r =
                Json(serde_json::json!({"status": "not_ready", "reason": reason})).into_response();
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            no_store(r)
        }
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
