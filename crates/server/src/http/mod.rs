//! The OAuth 2.0 / OpenID Connect HTTP endpoints. Handlers are thin: parse, call `api`, map.
//! No admin operation is reachable here.

mod authorize;
mod error;
mod form;
mod guard;
pub mod listener;
mod metadata;
mod pages;
mod token;

use crate::api::Authdesk;
use axum::Router;
use axum::routing::{get, post};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use error::HttpError;
pub use listener::ConnectionLimits;

/// The endpoint paths, relative to the issuer. Discovery tells clients these.
pub mod paths {
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const AS_METADATA: &str = "/.well-known/oauth-authorization-server";
    pub const JWKS: &str = "/jwks";
    pub const HEALTHZ: &str = "/healthz";
    pub const READYZ: &str = "/readyz";
    pub const AUTHORIZE: &str = "/authorize";
    pub const LOGIN: &str = "/login";
    pub const CONSENT: &str = "/consent";
    pub const TOKEN: &str = "/token";
    pub const USERINFO: &str = "/userinfo";
    pub const INTROSPECT: &str = "/introspect";
    pub const REVOKE: &str = "/revoke";
}

pub fn router(app: Arc<Authdesk>) -> Router {
    let metrics = app.metrics().clone();
    Router::new()
        .route(paths::DISCOVERY, get(metadata::openid_configuration))
        .route(paths::AS_METADATA, get(metadata::oauth_metadata))
        .route(paths::JWKS, get(metadata::jwks))
        .route(paths::HEALTHZ, get(metadata::healthz))
        .route(paths::READYZ, get(metadata::readyz))
        .route(
            paths::AUTHORIZE,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(paths::LOGIN, post(authorize::login))
        .route(paths::CONSENT, post(authorize::consent))
        .route(paths::TOKEN, post(token::token))
        .route(paths::USERINFO, get(token::userinfo).post(token::userinfo))
        .route(paths::INTROSPECT, post(token::introspect))
        .route(paths::REVOKE, post(token::revoke))
        .route("/", get(metadata::home))
        .fallback(metadata::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .with_state(app)
}

/// How often a running server picks up changes another process made (sandbox clock, keys,
/// the app registry's version). Grants and tokens are read from the store on every request.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(250);

/// How often a running server deletes what can no longer matter (`api::prune`).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// Serves until `shutdown` completes, then lets requests in flight finish within the limits'
/// grace period (`listener`). With a `metrics` listener, Prometheus metrics are served there
/// (`crate::metrics`); they are counted either way.
pub async fn serve(
    app: Arc<Authdesk>,
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let management = metrics_listener.map(|l| {
        let router = crate::metrics::router(app.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(l, router).await {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        })
    });
    let sync_app = app.clone();
    let sync = tokio::spawn(async move {
        let mut tick = tokio::time::interval(SYNC_INTERVAL);
        loop {
            tick.tick().await;
            if let Err(e) = sync_app.sync().await {
                tracing::warn!(error = %e, "could not refresh shared state from the store");
            }
        }
    });
    let prune_app = app.clone();
    let prune = tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_INTERVAL);
        loop {
            tick.tick().await;
            match prune_app.prune().await {
                Ok(r) if r.total() > 0 => tracing::info!(deleted = ?r.deleted, "pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning failed; it runs again later"),
            }
        }
    });
    let metrics = app.metrics().clone();
    let result = listener::run(listener, router(app), limits, None, metrics, shutdown).await;
    sync.abort();
    prune.abort();
    if let Some(m) = management {
        m.abort();
    }
    result
}
