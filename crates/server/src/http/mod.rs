//! The OAuth 2.0 / OpenID Connect HTTP endpoints. Handlers are thin: parse, call `api`, map.
//! No admin operation is reachable here.

mod authorize;
mod error;
mod form;
mod guard;
pub mod listener;
mod logout;
mod metadata;
mod pages;
mod sandbox_api;
mod token;

use crate::api::Authdesk;
use crate::metrics::Metrics;
use authdesk_core::site::Endpoint;
use axum::Router;
use axum::routing::{get, post, put};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use error::HttpError;
pub use listener::ConnectionLimits;

/// Paths outside any issuer: liveness and readiness, for load balancers.
pub mod paths {
    pub const HEALTHZ: &str = "/healthz";
    pub const READYZ: &str = "/readyz";
}

/// Adds `DPoP-Nonce` (RFC 9449 §8: the nonce a client's next proof must carry) to an answer of
/// an endpoint that takes proofs, when the server asks for nonces (`serve --dpop-nonce`).
async fn dpop_nonce(
    axum::extract::State(app): axum::extract::State<Arc<Authdesk>>,
    mut resp: axum::response::Response,
) -> axum::response::Response {
    if let Some(n) = app.dpop_nonce()
        && let Ok(v) = axum::http::HeaderValue::from_str(&n)
    {
        resp.headers_mut().insert("dpop-nonce", v);
    }
    resp
}

/// The routes of the registry's site (`authdesk_core::site`): every issuer's endpoints under
/// its path, each handler told which issuer it serves (an `Extension<Arc<IssuerSite>>`), so
/// what discovery advertises is exactly what is routed. Built when serving starts: a change
/// of profile or issuer takes effect at the next start.
pub fn router(app: Arc<Authdesk>, sandbox_api: bool, metrics: Arc<Metrics>) -> Router {
    let site = app.site();
    let mut routes: Router<Arc<Authdesk>> = Router::new();
    // The endpoints that take DPoP proofs give out the nonce proofs must carry next.
    let nonce = axum::middleware::map_response_with_state(app.clone(), dpop_nonce);
    for issuer in &site.issuers {
        let at = Arc::new(issuer.clone());
        let p = |e: Endpoint| issuer.path_of(e);
        let one = Router::new()
            .route(&p(Endpoint::Discovery), get(metadata::openid_configuration))
            .route(&issuer.oauth_metadata_path(), get(metadata::oauth_metadata))
            .route(&p(Endpoint::Jwks), get(metadata::jwks))
            .route(
                &p(Endpoint::Authorize),
                get(authorize::authorize_get).post(authorize::authorize_post),
            )
            .route(&p(Endpoint::Login), post(authorize::login))
            .route(&p(Endpoint::Consent), post(authorize::consent))
            .route(&p(Endpoint::Token), post(token::token).layer(nonce.clone()))
            .route(
                &p(Endpoint::Userinfo),
                get(token::userinfo)
                    .post(token::userinfo)
                    .layer(nonce.clone()),
            )
            .route(&p(Endpoint::Introspect), post(token::introspect))
            .route(&p(Endpoint::Revoke), post(token::revoke))
            .route(&p(Endpoint::Par), post(token::par).layer(nonce.clone()))
            .route(
                &p(Endpoint::Logout),
                get(logout::logout_get).post(logout::logout_post),
            )
            .layer(axum::Extension(at));
        routes = routes.merge(one);
    }
    let home = match site.base_path().as_str() {
        "" => "/".to_string(),
        p => p.to_string(),
    };
    if let Some(consumer) = site.issuer(authdesk_core::site::IssuerKind::Consumer) {
        let consumer = axum::Extension(Arc::new(consumer.clone()));
        // Banno's tools send the user to `<base>/logout`: the consumer issuer's sign-out.
        routes = routes.route(
            &format!("{}/logout", site.base_path()),
            get(logout::logout_get)
                .post(logout::logout_post)
                .layer(consumer.clone()),
        );
        if sandbox_api {
            let api = format!(
                "{}{}/users/{{user}}",
                site.base_path(),
                authdesk_core::site::BANNO_CONSUMER_API_PATH
            );
            let calls = Router::new()
                .route(&api, get(sandbox_api::user))
                .route(&format!("{api}/accounts"), get(sandbox_api::accounts))
                .route(
                    &format!("{api}/accounts/{{account}}/transactions"),
                    get(sandbox_api::transactions),
                )
                .route(&format!("{api}/fetch"), put(sandbox_api::fetch))
                .route(&format!("{api}/tasks/{{task}}"), get(sandbox_api::task))
                .layer(consumer)
                .layer(nonce.clone());
            routes = routes.merge(calls);
        }
    }
    let metrics = crate::metrics::Tracking::new(metrics, &site);
    routes
        .route(paths::HEALTHZ, get(metadata::healthz))
        .route(paths::READYZ, get(metadata::readyz))
        .route(&home, get(metadata::home))
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

/// The issuer when none is given: `http://` and the address; with TLS on a loopback address,
/// `https://localhost:PORT` — the name the sandbox certificate and browsers agree on, and the
/// one clients such as openid-client 6 compare the issuer with exactly.
pub fn default_issuer(
    addr: std::net::SocketAddr,
    tls: bool,
) -> Result<authdesk_core::issuer::Issuer, String> {
    let url = match (tls, addr.ip().is_loopback()) {
        (true, true) => format!("https://localhost:{}", addr.port()),
        (true, false) => format!("https://{addr}"),
        (false, _) => format!("http://{addr}"),
    };
    authdesk_core::issuer::Issuer::parse(&url)
}

/// How often a running server picks up changes another process made (sandbox clock, keys,
/// the app registry's version). Grants and tokens are read from the store on every request.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(250);

/// How often a running server deletes what can no longer matter (`api::prune`).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// How the OAuth listener serves: its connection limits, TLS if it terminates TLS itself, and
/// (Banno profile, sandbox) the sandbox consumer API.
#[derive(Default, Clone)]
pub struct ServeOptions {
    pub limits: ConnectionLimits,
    pub tls: Option<Arc<crate::tls::Certificate>>,
    pub sandbox_api: bool,
    /// Where the server counts what it does (served on the metrics listener, if any).
    pub metrics: Arc<Metrics>,
}

/// One pass of the server's pruning (`Authdesk::prune`), counted in its metrics either way.
pub async fn prune_pass(
    app: &Authdesk,
    metrics: &Metrics,
) -> crate::api::Result<crate::api::prune::PruneReport> {
    let pass = app.prune().await;
    metrics.pruned(pass.as_ref().map(|r| r.deleted.as_slice()).map_err(|_| ()));
    pass
}

/// Serves until `shutdown` completes, then lets requests in flight finish within the limits'
/// grace period (`listener`). With a `metrics` listener, Prometheus metrics are served there
/// (`crate::metrics`); they are counted either way.
pub async fn serve(
    app: Arc<Authdesk>,
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = options.metrics.clone();
    let management = metrics_listener.map(|l| {
        let router = crate::metrics::router(metrics.clone(), app.store().clone());
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
    let (prune_app, prune_metrics) = (app.clone(), metrics.clone());
    let prune = tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_INTERVAL);
        loop {
            tick.tick().await;
            match prune_pass(&prune_app, &prune_metrics).await {
                Ok(r) if r.total() > 0 => tracing::info!(deleted = ?r.deleted, "pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning failed; it runs again later"),
            }
        }
    });
    let handshake = match options.tls {
        None => None,
        Some(cert) => Some(crate::tls::handshake(cert).map_err(std::io::Error::other)?),
    };
    let result = listener::run(
        listener,
        router(app, options.sandbox_api, metrics.clone()),
        options.limits,
        handshake,
        metrics,
        shutdown,
    )
    .await;
    sync.abort();
    prune.abort();
    if let Some(m) = management {
        m.abort();
    }
    result
}
