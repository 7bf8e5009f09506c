//! Test support: the real server on 127.0.0.1:0 over a fresh data directory, and helpers that
//! drive it the way a browser and an app would (real HTTP, real forms, real cookies).

use authdesk_core::client::{AuthMethod, ClientDraft, ClientType, GrantType};
use authdesk_core::clock::{Clock, FixedClock};
use authdesk_core::issuer::Issuer;
use authdesk_server::api::{Actor, Authdesk, Database, Mode, OpenOptions};

/// PostgreSQL databases for tests (shared with the store's tests).
#[path = "../../crates/store/tests/common/pg.rs"]
pub mod pg;

/// The database every test server runs on: SQLite in a temporary data directory, or with
/// `AUTHDESK_TEST_BACKEND=postgres` a fresh PostgreSQL database (the test command runs the
/// black-box suite both ways).
pub fn on_postgres() -> bool {
    std::env::var("AUTHDESK_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}
use chrono::Duration;
use chrono::TimeZone;
use reqwest::StatusCode;
use serde_json::{Map, Value};
use std::sync::Arc;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const PASSWORD: &str = "correct horse battery";

/// Every test server's base time: frozen, so only the sandbox clock (moved by the test) moves.
static CLOCK: std::sync::LazyLock<Arc<dyn Clock>> = std::sync::LazyLock::new(|| {
    Arc::new(FixedClock::at(
        chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ))
});

pub struct TestApp {
    pub app: Arc<Authdesk>,
    pub issuer: String,
    /// The management listener's `/metrics` (`serve --metrics-listen`).
    pub metrics_url: String,
    /// What the server counts (and serves at `metrics_url`).
    pub metrics: Arc<authdesk_server::metrics::Metrics>,
    /// The base clock it runs on.
    pub clock: Arc<dyn Clock>,
    /// Where its registry lives (a data directory or a PostgreSQL database).
    pub database: Database,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Starts the server in this process on a free loopback port with its own temporary database,
/// its base time frozen (only the sandbox clock moves).
pub async fn spawn_app() -> TestApp {
    spawn_app_with_clock(CLOCK.clone()).await
}

/// The same on the wall clock, for third-party clients that check expiry against it.
pub async fn spawn_app_on_wall_clock() -> TestApp {
    spawn_app_with_clock(Arc::new(authdesk_core::clock::SystemClock)).await
}

/// The same with other store limits (tests of overload shorten the wait).
pub async fn spawn_app_with_limits(limits: authdesk_store::Limits) -> TestApp {
    spawn_app_with(OpenOptions {
        mode_if_new: Mode::Sandbox,
        clock: CLOCK.clone(),
        limits,
        ..Default::default()
    })
    .await
}

/// The same over a production data directory (no clock travel, no mint).
pub async fn spawn_production_app() -> TestApp {
    spawn_app_with(OpenOptions {
        mode_if_new: Mode::Production,
        clock: CLOCK.clone(),
        ..Default::default()
    })
    .await
}

/// A production registry on a clock of the test's own (to move the wall clock itself, as a
/// console's idle lock follows it).
pub async fn spawn_production_app_on(clock: Arc<dyn Clock>) -> TestApp {
    spawn_app_with(OpenOptions {
        mode_if_new: Mode::Production,
        clock,
        ..Default::default()
    })
    .await
}

/// The same on a base clock the test holds: moving it is everyone's time passing (clients'
/// clocks too), where [`TestApp::advance`] moves only the sandbox clock.
pub async fn spawn_app_with_clock(clock: Arc<dyn Clock>) -> TestApp {
    spawn_app_with(OpenOptions {
        mode_if_new: Mode::Sandbox,
        clock,
        ..Default::default()
    })
    .await
}

/// How a test server is served beyond its database: its profile, a path under which the
/// issuer lives, the sandbox consumer API.
#[derive(Default, Clone)]
pub struct Serving {
    pub profile: Option<authdesk_server::api::Profile>,
    /// e.g. `/tenant-a`: the issuer is `http://127.0.0.1:PORT/tenant-a`.
    pub issuer_path: Option<String>,
    pub sandbox_api: bool,
}

/// A test server on the wall clock (third-party clients check expiry against it), served
/// as `serving` says.
pub async fn spawn_app_serving(serving: Serving) -> TestApp {
    spawn_app_full(
        OpenOptions {
            mode_if_new: Mode::Sandbox,
            clock: Arc::new(authdesk_core::clock::SystemClock),
            ..Default::default()
        },
        serving,
    )
    .await
}

async fn spawn_app_with(options: OpenOptions) -> TestApp {
    spawn_app_full(options, Serving::default()).await
}

async fn spawn_app_full(options: OpenOptions, serving: Serving) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = if on_postgres() {
        Database::Postgres(pg::fresh_database().await)
    } else {
        Database::Dir(dir.path().to_path_buf())
    };
    let clock = options.clock.clone();
    let app = Arc::new(
        Authdesk::open_database(&db, options)
            .await
            .expect("open the database"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let issuer = match &serving.issuer_path {
        None => Issuer::for_address(listener.local_addr().unwrap()),
        Some(path) => Issuer::parse(&format!("http://{}{path}", listener.local_addr().unwrap()))
            .expect("issuer with a path"),
    };
    if let Some(profile) = serving.profile {
        app.set_profile(profile, &actor()).await.expect("profile");
    }
    app.set_issuer(&issuer).await.expect("issuer");
    let issuer = app.issuer();
    let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let metrics_url = format!("http://{}/metrics", metrics_listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let metrics = Arc::new(authdesk_server::metrics::Metrics::new());
    let server = tokio::spawn(authdesk_server::http::serve(
        app.clone(),
        listener,
        Some(metrics_listener),
        authdesk_server::http::ServeOptions {
            sandbox_api: serving.sandbox_api,
            metrics: metrics.clone(),
            ..Default::default()
        },
        async move {
            let _ = rx.await;
        },
    ));
    TestApp {
        app,
        issuer,
        metrics_url,
        metrics,
        clock,
        database: db,
        dir,
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }
}

/// A browser-like client: keeps cookies, does not follow redirects (tests read Location).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn actor() -> Actor {
    Actor::named("test")
}

pub struct Registered {
    pub id: String,
    pub secret: Option<String>,
}

impl TestApp {
    /// The same registry opened again, as another process would (a CLI, a console, a node).
    pub async fn open_again(&self) -> Authdesk {
        Authdesk::open_database(&self.database, OpenOptions::default())
            .await
            .expect("open the database again")
    }

    /// Another node of the same deployment: the registry opened again on the same base clock
    /// (tokens one node issued are judged by the other at the same time).
    pub async fn open_node(&self) -> Authdesk {
        Authdesk::open_database(
            &self.database,
            OpenOptions {
                clock: self.clock.clone(),
                ..Default::default()
            },
        )
        .await
        .expect("open the database again")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// An endpoint of the primary issuer (the default profile's, Banno's consumer issuer), at
    /// the address the test server listens on (a test may rename the issuer afterwards).
    pub fn endpoint(&self, e: authdesk_core::site::Endpoint) -> String {
        format!("{}{}", self.issuer, self.app.site().primary().relative(e))
    }

    /// The same, of the issuer `kind` (Banno's enterprise issuer).
    pub fn endpoint_of(
        &self,
        kind: authdesk_core::site::IssuerKind,
        e: authdesk_core::site::Endpoint,
    ) -> String {
        self.app
            .site()
            .issuer(kind)
            .expect("issuer served")
            .url_of(e)
    }

    /// Registers `draft`; when its name is taken (names are unique), as "name 2", "name 3"...
    pub async fn client(&self, draft: ClientDraft) -> Registered {
        let mut attempt = draft.clone();
        let mut n = 1;
        let c = loop {
            match self.app.client_create(&attempt, &actor()).await {
                Err(authdesk_server::api::ApiError::Invalid { fields })
                    if fields
                        .iter()
                        .any(|f| f.field == "name" && f.message.contains("taken"))
                        && n < 50 =>
                {
                    n += 1;
                    attempt.name = format!("{} {n}", draft.name);
                }
                other => break other.expect("client create"),
            }
        };
        Registered {
            id: c.client.client_id,
            secret: c.client_secret,
        }
    }

    /// A confidential app with every grant type, `client_secret_basic`, consent required.
    pub async fn confidential(&self) -> Registered {
        self.client(ClientDraft {
            name: "Budget <b>Pal</b>".into(),
            redirect_uris: vec![REDIRECT.into()],
            scopes: [
                "openid",
                "profile",
                "email",
                "offline_access",
                "https://api.banno.com/consumer/auth/offline_access",
                "accounts",
            ]
            .map(String::from)
            .to_vec(),
            custom_claims: vec!["https://api.banno.com/consumer/claim/institution_id".into()],
            grant_types: vec![
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::ClientCredentials,
            ],
            ..Default::default()
        })
        .await
    }

    pub async fn public(&self) -> Registered {
        self.client(ClientDraft {
            name: "Mobile".into(),
            client_type: Some(ClientType::Public),
            auth_method: Some(AuthMethod::None),
            redirect_uris: vec![REDIRECT.into()],
            scopes: ["openid", "profile", "offline_access"]
                .map(String::from)
                .to_vec(),
            consent_required: Some(false),
            ..Default::default()
        })
        .await
    }

    pub async fn user(&self, username: &str) -> String {
        let mut claims = Map::new();
        claims.insert("name".into(), Value::String("Ada Lovelace".into()));
        claims.insert(
            "email".into(),
            Value::String(format!("{username}@example.com")),
        );
        claims.insert("email_verified".into(), Value::Bool(true));
        claims.insert(
            "https://api.banno.com/consumer/claim/institution_id".into(),
            Value::String("inst-42".into()),
        );
        self.app
            .user_create(username, PASSWORD, claims, &actor())
            .await
            .expect("user")
            .sub
    }

    /// Seals every committed audit event now: PostgreSQL seals off the request path (within
    /// milliseconds, `store::sealer`), SQLite in every commit. For a test that reads the chain
    /// or `recorded_at` right after writing.
    pub async fn sealed(&self) {
        self.app.store().seal_audit().await.expect("seal the audit");
    }

    pub async fn advance(&self, d: Duration) {
        self.app.clock_advance(d, &actor()).await.expect("clock");
    }

    /// POSTs a form to the token endpoint with Basic auth when a secret is given.
    pub async fn token(&self, client: &Registered, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let url = self.endpoint(authdesk_core::site::Endpoint::Token);
        let mut req = reqwest::Client::new().post(url).form(form);
        if let Some(s) = &client.secret {
            req = req.basic_auth(&client.id, Some(s));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Runs the browser part of the code flow through the real login and consent forms and
    /// returns the redirect's query parameters.
    pub async fn authorize(
        &self,
        browser: &reqwest::Client,
        auth_url: &str,
        username: &str,
    ) -> Map<String, Value> {
        let resp = browser.get(auth_url).send().await.unwrap();
        let mut resp = if resp.status() == StatusCode::OK {
            let html = resp.text().await.unwrap();
            assert!(
                html.contains("name=\"username\""),
                "login page expected: {html}"
            );
            browser
                .post(self.form_action(&html))
                .form(&[
                    ("interaction", hidden(&html, "interaction").as_str()),
                    ("csrf_token", hidden(&html, "csrf_token").as_str()),
                    ("username", username),
                    ("password", PASSWORD),
                ])
                .send()
                .await
                .unwrap()
        } else {
            resp
        };
        if resp.status() == StatusCode::OK {
            let html = resp.text().await.unwrap();
            assert!(
                html.contains("value=\"approve\""),
                "consent page expected: {html}"
            );
            resp = browser
                .post(self.form_action(&html))
                .form(&[
                    ("interaction", hidden(&html, "interaction").as_str()),
                    ("csrf_token", hidden(&html, "csrf_token").as_str()),
                    ("decision", "approve"),
                ])
                .send()
                .await
                .unwrap();
        }
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "redirect expected");
        redirect_params(&resp)
    }

    /// A full code flow with PKCE; returns the token response.
    pub async fn code_flow(&self, client: &Registered, username: &str, scope: &str) -> Value {
        let (code, verifier) = self.code(client, username, scope).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ];
        if client.secret.is_none() {
            form.push(("client_id", client.id.as_str()));
        }
        let (status, body) = self.token(client, &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Gets an authorization code (with a PKCE verifier) through the real pages.
    pub async fn code(&self, client: &Registered, username: &str, scope: &str) -> (String, String) {
        let verifier = format!("{}{}", uuid_like(), uuid_like());
        let challenge = authdesk_core::pkce::challenge_for(&verifier);
        let url = self.auth_url(&[
            ("client_id", &client.id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", scope),
            ("state", "s1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let params = self.authorize(&browser(), &url, username).await;
        let code = params
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no code: {params:?}"))
            .to_string();
        (code, verifier)
    }

    /// Where a page's form posts, as a browser resolves its `action` (a path).
    pub fn form_action(&self, html: &str) -> String {
        let marker = "action=\"";
        let start = html.find(marker).expect("a form") + marker.len();
        let end = html[start..].find('"').unwrap() + start;
        url::Url::parse(&self.issuer)
            .unwrap()
            .join(&html[start..end])
            .unwrap()
            .to_string()
    }

    pub fn auth_url(&self, params: &[(&str, &str)]) -> String {
        let mut u =
            url::Url::parse(&self.endpoint(authdesk_core::site::Endpoint::Authorize)).unwrap();
        u.query_pairs_mut().extend_pairs(params);
        u.to_string()
    }
}

fn uuid_like() -> String {
    authdesk_server::secret::generate()
}

/// The value of a hidden form field.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

/// The query parameters of a redirect's Location.
pub fn redirect_params(resp: &reqwest::Response) -> Map<String, Value> {
    let loc = resp
        .headers()
        .get("location")
        .expect("location")
        .to_str()
        .unwrap();
    let u = url::Url::parse(loc).unwrap();
    u.query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// GETs a JSON document (discovery, metadata) and parses it.
pub async fn get_json(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// Decodes a JWT's payload without verifying it.
pub fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

pub fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}

/// The audit viewer's query for one action.
pub fn by_action(
    action: authdesk_server::api::audit::AuditAction,
) -> authdesk_server::api::audit::AuditQuery {
    authdesk_server::api::audit::AuditQuery {
        action: Some(action),
        ..Default::default()
    }
}
