//! Prometheus metrics of a running server, served by `serve --metrics-listen ADDR` on a
//! listener of their own (never on the OAuth port).
//!
//! What is counted, and where: one middleware on the OAuth router ([`track`]) times every
//! request and reads what the handler left in the response's extensions — the OAuth error
//! code ([`ErrorCodeTag`], put there where errors become responses) and an issued token
//! ([`Issued`], put there by the token endpoint). Handlers know nothing of metrics. The
//! write-queue depth is sampled from the store when scraped; prune passes report what they
//! deleted. Label values are bounded: endpoints are the router's paths (anything else is
//! `other`), client ids only those that authenticated, error codes RFC 6749's closed set.

use crate::http::paths;
use authdesk_core::ErrorCode;
use authdesk_core::site::Site;
use authdesk_store::Store;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

/// Left in a response's extensions by the token endpoint when it issued tokens.
#[derive(Debug, Clone)]
pub struct Issued {
    pub grant_type: &'static str,
    pub client_id: String,
}

/// Left in a response's extensions wherever an OAuth error becomes a response (a JSON error
/// body, or an error sent back to the app's redirect URI).
#[derive(Debug, Clone, Copy)]
pub struct ErrorCodeTag(pub ErrorCode);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResponseLabels {
    endpoint: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    endpoint: &'static str,
    error: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IssuedLabels {
    grant_type: &'static str,
    client_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

/// Why the server closed a connection it did not want to keep (`http::listener`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionEnd {
    /// A request's headers did not arrive within the header timeout (a silent socket, an idle
    /// keep-alive connection past it, or headers sent too slowly).
    HeaderTimeout,
    /// A request's body did not arrive within the body timeout.
    BodyTimeout,
    /// Refused at once: the server already held its most connections.
    Refused,
    /// Still open when a shutdown's grace period ended.
    CutAtShutdown,
}

impl ConnectionEnd {
    fn label(self) -> &'static str {
        match self {
            ConnectionEnd::HeaderTimeout => "header_timeout",
            ConnectionEnd::BodyTimeout => "body_timeout",
            ConnectionEnd::Refused => "refused",
            ConnectionEnd::CutAtShutdown => "cut_at_shutdown",
        }
    }
}

/// Latency buckets in seconds: 0.5 ms … 5 s (a refresh is about 1 ms unloaded, a login tens
/// of milliseconds of password hashing, overload answers within about 2 s).
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The server's metrics. Cheap to update from any task.
pub struct Metrics {
    registry: Registry,
    latency: Family<EndpointLabel, Histogram, fn() -> Histogram>,
    responses: Family<ResponseLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    issued: Family<IssuedLabels, Counter>,
    write_queue_depth: Gauge,
    write_queue_capacity: Gauge,
    pruned: Family<KindLabel, Counter>,
    prune_passes: Counter,
    prune_failures: Counter,
    connections_open: Gauge,
    connections_ended: Family<ReasonLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("authdesk");
        let latency = Family::<EndpointLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let responses = Family::<ResponseLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let issued = Family::<IssuedLabels, Counter>::default();
        let write_queue_depth = Gauge::default();
        let write_queue_capacity = Gauge::default();
        let pruned = Family::<KindLabel, Counter>::default();
        let prune_passes = Counter::default();
        let prune_failures = Counter::default();
        let connections_open = Gauge::default();
        let connections_ended = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "connections_open",
            "Connections the OAuth listener holds open now",
            connections_open.clone(),
        );
        registry.register(
            "connections_closed_by_server",
            "Connections the server closed or refused: header_timeout, body_timeout, refused (at the connection cap), cut_at_shutdown",
            connections_ended.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response, by endpoint",
            latency.clone(),
        );
        registry.register(
            "http_responses",
            "Responses by endpoint and HTTP status",
            responses.clone(),
        );
        registry.register(
            "oauth_errors",
            "OAuth error responses by endpoint and error code",
            errors.clone(),
        );
        registry.register(
            "tokens_issued",
            "Token responses by grant type and client",
            issued.clone(),
        );
        registry.register(
            "write_queue_depth",
            "Units of work waiting for the store's writer when scraped",
            write_queue_depth.clone(),
        );
        registry.register(
            "write_queue_capacity",
            "Units of work the writer's queue holds before requests are refused as busy",
            write_queue_capacity.clone(),
        );
        registry.register(
            "pruned_rows",
            "Rows deleted by pruning, by kind",
            pruned.clone(),
        );
        registry.register("prune_passes", "Prune passes run", prune_passes.clone());
        registry.register(
            "prune_failures",
            "Prune passes that failed (they run again later)",
            prune_failures.clone(),
        );
        Metrics {
            registry,
            latency,
            responses,
            errors,
            issued,
            write_queue_depth,
            write_queue_capacity,
            pruned,
            prune_passes,
            prune_failures,
            connections_open,
            connections_ended,
        }
    }

    /// A connection was accepted (`+1`) or ended (`-1`).
    pub fn connections_open_add(&self, delta: i64) {
        self.connections_open.inc_by(delta);
    }

    /// The server ended a connection, or refused one, for `why`.
    pub fn connection_ended(&self, why: ConnectionEnd) {
        self.connections_ended
            .get_or_create(&ReasonLabel {
                reason: why.label(),
            })
            .inc();
    }

    /// Records one answered request.
    pub fn answered(&self, endpoint: &'static str, resp: &Response, started: Instant) {
        self.latency
            .get_or_create(&EndpointLabel { endpoint })
            .observe(started.elapsed().as_secs_f64());
        self.responses
            .get_or_create(&ResponseLabels {
                endpoint,
                status: resp.status().as_u16(),
            })
            .inc();
        if let Some(ErrorCodeTag(code)) = resp.extensions().get::<ErrorCodeTag>() {
            self.errors
                .get_or_create(&ErrorLabels {
                    endpoint,
                    error: code.as_str(),
                })
                .inc();
        }
        if let Some(issued) = resp.extensions().get::<Issued>() {
            self.issued
                .get_or_create(&IssuedLabels {
                    grant_type: issued.grant_type,
                    client_id: issued.client_id.clone(),
                })
                .inc();
        }
    }

    /// Records a prune pass: what it deleted, by kind, or that it failed.
    pub fn pruned(&self, outcome: Result<&[(&'static str, u64)], ()>) {
        match outcome {
            Ok(deleted) => {
                self.prune_passes.inc();
                for (kind, n) in deleted {
                    let kind = kind.replace([' ', '-'], "_");
                    self.pruned.get_or_create(&KindLabel { kind }).inc_by(*n);
                }
            }
            Err(()) => {
                self.prune_failures.inc();
            }
        }
    }

    /// The Prometheus text exposition of everything, the store's queue sampled now.
    pub fn render(&self, store: &Store) -> String {
        let (depth, capacity) = store.write_queue();
        self.write_queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
        self.write_queue_capacity
            .set(i64::try_from(capacity).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// What the OAuth router's metrics middleware holds: the metrics, and the site whose paths
/// name the endpoints.
#[derive(Clone)]
pub struct Tracking {
    metrics: Arc<Metrics>,
    site: Arc<Site>,
}

impl Tracking {
    pub fn new(metrics: Arc<Metrics>, site: &Site) -> Self {
        Tracking {
            metrics,
            site: Arc::new(site.clone()),
        }
    }
}

/// The endpoint a request went to, by its standard path in every profile (so dashboards read
/// the same), or `other` (a bounded label).
fn endpoint_of(site: &Site, path: &str) -> &'static str {
    if let Some(e) = site.endpoint_at(path) {
        return e.standard_path();
    }
    if site.issuers.iter().any(|i| i.oauth_metadata_path() == path) {
        return "/.well-known/oauth-authorization-server";
    }
    let base = site.base_path();
    if site.profile == authdesk_core::site::Profile::Banno {
        if path.strip_prefix(base.as_str()) == Some("/logout") {
            return "/logout";
        }
        if path
            .strip_prefix(base.as_str())
            .is_some_and(|p| p.starts_with(authdesk_core::site::BANNO_CONSUMER_API_PATH))
        {
            return "/sandbox-api";
        }
    }
    match path {
        paths::HEALTHZ => paths::HEALTHZ,
        paths::READYZ => paths::READYZ,
        "/" => "/",
        _ => "other",
    }
}

/// The middleware that counts every request of the OAuth router.
pub async fn track(State(t): State<Tracking>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let endpoint = endpoint_of(&t.site, req.uri().path());
    let resp = next.run(req).await;
    t.metrics.answered(endpoint, &resp, started);
    resp
}

/// The management listener's router: `GET /metrics`, nothing else.
pub fn router(metrics: Arc<Metrics>, store: Store) -> axum::Router {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(move || {
                let body = metrics.render(&store);
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        body,
                    )
                }
            }),
        )
        .fallback(|| async {
            (StatusCode::NOT_FOUND, "only /metrics is served here\n").into_response()
        })
}

#[cfg(test)]
mod tests {
    use super::endpoint_of;
    use authdesk_core::issuer::Issuer;
    use authdesk_core::site::{Profile, Site};

    #[test]
    fn endpoints_are_named_by_their_standard_path_in_every_profile_or_other() {
        let base = Issuer::parse("http://127.0.0.1:8400").unwrap();
        let site = Site::new(Profile::Default, &base);
        assert_eq!(endpoint_of(&site, "/token"), "/token");
        assert_eq!(endpoint_of(&site, "/"), "/");
        assert_eq!(endpoint_of(&site, "/healthz"), "/healthz");
        assert_eq!(endpoint_of(&site, "/token/extra"), "other");
        assert_eq!(endpoint_of(&site, "/anything-a-caller-invents"), "other");
        let banno = Site::new(Profile::Banno, &base);
        assert_eq!(
            endpoint_of(&banno, "/a/consumer/api/v0/oidc/me"),
            "/userinfo"
        );
        assert_eq!(
            endpoint_of(&banno, "/a/oidc-provider/api/v0/token/introspection"),
            "/introspect"
        );
        assert_eq!(endpoint_of(&banno, "/token"), "other");
        assert_eq!(endpoint_of(&banno, "/logout"), "/logout");
        assert_eq!(
            endpoint_of(&banno, "/a/consumer/api/v0/users/u-1/accounts"),
            "/sandbox-api"
        );
    }
}
