//! The closed-loop load generator: N keep-alive connections each running one scenario step after
//! another for a round's duration. A round ends by dropping every connection with its request
//! still in flight (a load generator ending its run), and is followed by a burst of requests
//! that hang up after a few milliseconds (`curl --max-time 0.005`). The next round must see
//! zero errors.

use crate::http::{Conn, Reply, basic};
use crate::server::{Fixture, PASSWORD, REDIRECT};
use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// client_credentials, client_secret_basic (the server's key decides RS256 or ES256).
    ClientCredentials,
    /// client_credentials with a PS256 `private_key_jwt` assertion as Jack Henry's helper
    /// signs it (no `kid`, `exp` in milliseconds): one RSA-PSS verification and one stored
    /// `jti` more than the above. The load generator signs each assertion itself.
    ClientCredentialsPs256,
    /// client_credentials with a DPoP proof (RFC 9449) the load generator signs (ES256) for
    /// every request: one ECDSA verification and one stored `jti` more than the above, and a
    /// bound token.
    ClientCredentialsDpop,
    /// refresh_token, confidential client, without `openid`: one signature.
    Refresh,
    /// refresh_token with `openid`: an access token and an ID token, two signatures.
    RefreshOpenid,
    /// The whole authorization-code flow: /authorize, login (argon2), consent, code exchange.
    CodeFlow,
    /// RFC 7662 introspection of a live access token.
    Introspect,
    /// GET /jwks: the HTTP stack's own ceiling.
    Jwks,
    /// GET /authorize alone: the login page an unauthenticated caller can ask for (nothing is
    /// stored for it; the paused request is sealed into the form).
    LoginPage,
    /// client_credentials with the app's id and a wrong secret: refused 401.
    WrongSecret,
    /// A day's shape at once ([`MIXED`]): refreshes of confidential and public clients,
    /// introspection, client credentials, revocations, code flows and key fetches.
    Mixed,
    /// The same with an id no app has: refused 401 after the same work, so the two times
    /// match and do not tell which ids exist.
    UnknownId,
}

impl Scenario {
    pub fn parse(s: &str) -> Result<Scenario, String> {
        Ok(match s {
            "cc" | "client-credentials" => Scenario::ClientCredentials,
            "cc-ps256" => Scenario::ClientCredentialsPs256,
            "cc-dpop" => Scenario::ClientCredentialsDpop,
            "refresh" => Scenario::Refresh,
            "refresh-openid" => Scenario::RefreshOpenid,
            "code-flow" => Scenario::CodeFlow,
            "introspect" => Scenario::Introspect,
            "jwks" => Scenario::Jwks,
            "login-page" => Scenario::LoginPage,
            "cc-wrong-secret" => Scenario::WrongSecret,
            "cc-unknown-id" => Scenario::UnknownId,
            "mixed" => Scenario::Mixed,
            _ => return Err(format!("unknown scenario {s}")),
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Scenario::ClientCredentials => "client_credentials",
            Scenario::ClientCredentialsPs256 => "client_credentials (PS256 assertion)",
            Scenario::ClientCredentialsDpop => "client_credentials (DPoP, ES256 proof)",
            Scenario::Refresh => "refresh_token",
            Scenario::RefreshOpenid => "refresh_token+openid",
            Scenario::CodeFlow => "code flow (login, consent, exchange)",
            Scenario::Introspect => "introspection",
            Scenario::Jwks => "jwks",
            Scenario::LoginPage => "login page (GET /authorize)",
            Scenario::WrongSecret => "client_credentials, wrong secret (401)",
            Scenario::UnknownId => "client_credentials, unknown client id (401)",
            Scenario::Mixed => "mixed (a day's shape)",
        }
    }
}

/// What a scenario needs from the server before it runs (obtained over HTTP or by the CLI).
#[derive(Clone)]
pub struct Prepared {
    pub fixture: Fixture,
    pub auth: String,
    /// The grants the refresh scenarios spread over (without and with `openid`).
    pub grants: Arc<Grants>,
    pub grants_openid: Arc<Grants>,
    /// A public client's grants (the mixed scenario's public refreshes).
    pub grants_public: Arc<Grants>,
    /// The mixed scenario's operations so far.
    pub mixed: Arc<AtomicU64>,
    /// A live access token to introspect.
    pub access_token: Option<String>,
    /// Signs the PS256 assertions of `cc-ps256`.
    pub assertions: std::sync::Arc<Assertions>,
    /// Signs the DPoP proofs of `cc-dpop`.
    pub proofs: std::sync::Arc<Proofs>,
}

/// A client's DPoP key (P-256) and the proofs it signs for the token endpoint: a fresh `jti`
/// and `iat` each (RFC 9449 §4.2).
pub struct Proofs {
    key: aws_lc_rs::signature::EcdsaKeyPair,
    header: String,
    token_url: String,
    next: std::sync::atomic::AtomicU64,
    run: u64,
}

impl Proofs {
    pub fn new(token_url: String) -> anyhow::Result<Self> {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|e| anyhow::anyhow!("DPoP key: {e}"))?;
        let point = key.public_key().as_ref();
        let header = serde_json::json!({
            "typ": "dpop+jwt", "alg": "ES256",
            "jwk": {"kty": "EC", "crv": "P-256", "x": b64.encode(&point[1..33]), "y": b64.encode(&point[33..65])},
        });
        Ok(Proofs {
            key,
            header: b64.encode(header.to_string()),
            token_url,
            next: std::sync::atomic::AtomicU64::new(0),
            run: std::process::id().into(),
        })
    }

    pub fn sign(&self) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        #[allow(clippy::disallowed_methods)]
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let claims = serde_json::json!({
            "jti": format!("bench-{}-{now}-{n}", self.run),
            "htm": "POST", "htu": self.token_url, "iat": now,
        });
        let input = format!("{}.{}", self.header, b64.encode(claims.to_string()));
        let sig = self
            .key
            .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
            .expect("ECDSA signing with a valid key");
        format!("{input}.{}", b64.encode(sig.as_ref()))
    }
}

/// Jack Henry's client assertions for the bench's assertion app: PS256 without `kid`,
/// `iss = sub = client_id`, `aud` the token URL, a fresh `jti`, `exp` in milliseconds.
pub struct Assertions {
    key: aws_lc_rs::signature::RsaKeyPair,
    client_id: String,
    token_url: String,
    next: std::sync::atomic::AtomicU64,
    run: u64,
}

impl Assertions {
    fn new(fixture: &Fixture, token_url: String) -> anyhow::Result<Self> {
        let key = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&fixture.assertion_key)
            .map_err(|e| anyhow::anyhow!("assertion key: {e}"))?;
        Ok(Assertions {
            key,
            client_id: fixture.assertion_app_id.clone(),
            token_url,
            next: std::sync::atomic::AtomicU64::new(0),
            run: std::process::id().into(),
        })
    }

    pub fn sign(&self) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        // The client's own clock: assertions are checked against the server's, a minute of
        // margin each way.
        #[allow(clippy::disallowed_methods)]
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let claims = serde_json::json!({
            "iss": self.client_id, "sub": self.client_id, "aud": self.token_url,
            "jti": format!("bench-{}-{now_ms}-{n}", self.run), "exp": now_ms + 60_000,
        });
        let input = format!(
            "{}.{}",
            b64.encode(br#"{"alg":"PS256"}"#),
            b64.encode(claims.to_string())
        );
        let mut sig = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &aws_lc_rs::signature::RSA_PSS_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .expect("RSA-PSS signing with a valid key");
        format!("{input}.{}", b64.encode(sig))
    }
}

/// A request without an answer by then counts as an error (the server hung).
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Refresh-token grants the refresh scenarios take turns on, as many customers' apps do: each
/// request refreshes the next grant's latest token, so concurrent requests touch different
/// grants (unless there are fewer grants than connections). The bench app is confidential, so
/// a token cut off mid-request stays usable (no rotation, SPEC §2).
pub struct Grants {
    latest: Vec<Mutex<Option<String>>>,
    next: AtomicU64,
}

impl Grants {
    pub fn new(tokens: Vec<String>) -> Self {
        Grants {
            latest: tokens.into_iter().map(|t| Mutex::new(Some(t))).collect(),
            next: AtomicU64::new(0),
        }
    }

    fn place(&self) -> usize {
        (self.next.fetch_add(1, Ordering::Relaxed) % self.latest.len().max(1) as u64) as usize
    }

    /// The next grant's place and its latest token (a confidential client's: several requests
    /// may use one token at once).
    fn take_turn(&self) -> (usize, String) {
        let i = self.place();
        let token = self.latest[i].lock().expect("grant lock").clone();
        (i, token.unwrap_or_default())
    }

    /// A grant no other request is using, taken out until [`Grants::renewed`] puts its new
    /// token back (a public client's tokens are single-use: a request cut before its answer
    /// leaves the grant out for good rather than reusing a spent token, which would revoke it).
    fn take_alone(&self) -> Option<(usize, String)> {
        (0..self.latest.len().min(64)).find_map(|_| {
            let i = self.place();
            let token = self.latest[i].lock().expect("grant lock").take()?;
            Some((i, token))
        })
    }

    fn renewed(&self, i: usize, token: String) {
        *self.latest[i].lock().expect("grant lock") = Some(token);
    }
}

/// What [`Scenario::Mixed`] does, per 100 operations: mostly refreshes and resource servers'
/// introspection, then client credentials, revocations, a few logins (a code flow: four
/// requests and an argon2 hash) and key fetches.
const MIXED: [(u64, MixedOp); 8] = [
    (35, MixedOp::Step(Scenario::Refresh)),
    (10, MixedOp::Step(Scenario::RefreshOpenid)),
    (10, MixedOp::PublicRefresh),
    (20, MixedOp::Step(Scenario::Introspect)),
    (14, MixedOp::Step(Scenario::ClientCredentials)),
    (5, MixedOp::Revocation),
    (3, MixedOp::Step(Scenario::CodeFlow)),
    (3, MixedOp::Step(Scenario::Jwks)),
];

/// An operation of the mixed scenario: one of the scenarios, or one only it has.
#[derive(Clone, Copy)]
enum MixedOp {
    Step(Scenario),
    /// A public client's refresh: no client authentication, the token rotates.
    PublicRefresh,
    /// Client credentials, then the token revoked (RFC 7009).
    Revocation,
}

/// The mixed scenario's `n`th operation (spread over the shares by a stride coprime to 100).
fn mixed_op(n: u64) -> MixedOp {
    let mut k = n.wrapping_mul(37) % 100;
    for (share, op) in MIXED {
        if k < share {
            return op;
        }
        k -= share;
    }
    MixedOp::Step(Scenario::Jwks)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundResult {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub seconds: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Requests dropped mid-flight on purpose (end of round + hang-up burst).
    pub cut: u64,
}

struct Shared {
    ok: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
    latencies_us: Mutex<Vec<u32>>,
}

impl Shared {
    fn error(&self, e: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut f = self.first_error.lock().expect("error lock");
        if f.is_none() {
            *f = Some(e);
        }
    }
}

fn expect(r: &Reply, status: StatusCode, what: &str) -> anyhow::Result<()> {
    if r.status != status {
        anyhow::bail!(
            "{what}: HTTP {} {}",
            r.status.as_u16(),
            r.text().chars().take(200).collect::<String>()
        );
    }
    Ok(())
}

fn hidden(html: &str, name: &str) -> anyhow::Result<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .ok_or_else(|| anyhow::anyhow!("no field {name} in the page"))?
        + marker.len();
    let end = html[start..]
        .find('"')
        .ok_or_else(|| anyhow::anyhow!("unterminated {name}"))?
        + start;
    Ok(html[start..end].to_string())
}

fn cookies(r: &Reply, jar: &mut Vec<(String, String)>) {
    for v in r.headers.get_all("set-cookie") {
        let Ok(v) = v.to_str() else { continue };
        let Some((nv, _)) = v.split_once(';').or(Some((v, ""))) else {
            continue;
        };
        if let Some((n, val)) = nv.split_once('=') {
            jar.retain(|(k, _)| k != n);
            jar.push((n.trim().to_string(), val.trim().to_string()));
        }
    }
}

fn cookie_header(jar: &[(String, String)]) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One step of a scenario: one logical operation, which for the code flow is four requests.
async fn step(conn: &mut Conn, scenario: Scenario, p: &Prepared) -> anyhow::Result<()> {
    let auth = [("authorization", p.auth.as_str())];
    match scenario {
        Scenario::ClientCredentials => {
            let r = conn
                .post(
                    "/token",
                    &auth,
                    &[("grant_type", "client_credentials"), ("scope", "accounts")],
                )
                .await?;
            expect(&r, StatusCode::OK, "client_credentials")?;
        }
        Scenario::ClientCredentialsPs256 => {
            let assertion = p.assertions.sign();
            let r = conn
                .post(
                    "/token",
                    &[],
                    &[
                        ("grant_type", "client_credentials"),
                        (
                            "client_assertion_type",
                            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        ),
                        ("client_assertion", &assertion),
                        ("scope", "accounts"),
                    ],
                )
                .await?;
            expect(
                &r,
                StatusCode::OK,
                "client_credentials with a PS256 assertion",
            )?;
        }
        Scenario::ClientCredentialsDpop => {
            let proof = p.proofs.sign();
            let r = conn
                .post(
                    "/token",
                    &[("authorization", p.auth.as_str()), ("dpop", proof.as_str())],
                    &[("grant_type", "client_credentials"), ("scope", "accounts")],
                )
                .await?;
            expect(&r, StatusCode::OK, "client_credentials with DPoP")?;
            if r.json()["token_type"] != "DPoP" {
                anyhow::bail!("a DPoP proof did not bind the token");
            }
        }
        Scenario::Refresh | Scenario::RefreshOpenid => {
            let grants = match scenario {
                Scenario::RefreshOpenid => &p.grants_openid,
                _ => &p.grants,
            };
            let (turn, rt) = grants.take_turn();
            let r = conn
                .post(
                    "/token",
                    &auth,
                    &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
                )
                .await?;
            expect(&r, StatusCode::OK, "refresh_token")?;
            let v = r.json();
            if scenario == Scenario::RefreshOpenid && v["id_token"].as_str().is_none() {
                anyhow::bail!("no id_token in the refresh response");
            }
            if let Some(next) = v["refresh_token"].as_str() {
                grants.renewed(turn, next.to_string());
            }
        }
        Scenario::Introspect => {
            let at = p.access_token.as_deref().unwrap_or_default();
            let r = conn.post("/introspect", &auth, &[("token", at)]).await?;
            expect(&r, StatusCode::OK, "introspect")?;
            if r.json()["active"] != serde_json::Value::Bool(true) {
                anyhow::bail!("introspection says inactive");
            }
        }
        Scenario::Jwks => {
            let r = conn.get("/jwks", &[]).await?;
            expect(&r, StatusCode::OK, "jwks")?;
        }
        Scenario::CodeFlow => code_flow(conn, p).await?,
        Scenario::LoginPage => {
            let r = conn
                .get(
                    &format!(
                        "/authorize?{}",
                        authorize_query(p, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
                    ),
                    &[],
                )
                .await?;
            expect(&r, StatusCode::OK, "authorize (login page)")?;
        }
        Scenario::Mixed => match mixed_op(p.mixed.fetch_add(1, Ordering::Relaxed)) {
            MixedOp::PublicRefresh => public_refresh(conn, p).await?,
            MixedOp::Revocation => revocation(conn, p).await?,
            MixedOp::Step(op) => Box::pin(step(conn, op, p)).await?,
        },
        Scenario::WrongSecret | Scenario::UnknownId => {
            let id = if scenario == Scenario::WrongSecret {
                p.fixture.app_id.clone()
            } else {
                format!("{:032x}", rand_u128())
            };
            let wrong = basic(&id, "not-the-secret-0123456789abcdefghijklmnop");
            let r = conn
                .post(
                    "/token",
                    &[("authorization", wrong.as_str())],
                    &[("grant_type", "client_credentials"), ("scope", "accounts")],
                )
                .await?;
            expect(&r, StatusCode::UNAUTHORIZED, "client_credentials refused")?;
        }
    }
    Ok(())
}

/// A public client's refresh (no client authentication; the token rotates), on a grant no
/// other request is using; an introspection when every grant is in use.
async fn public_refresh(conn: &mut Conn, p: &Prepared) -> anyhow::Result<()> {
    let Some((turn, rt)) = p.grants_public.take_alone() else {
        return Box::pin(step(conn, Scenario::Introspect, p)).await;
    };
    let r = conn
        .post(
            "/token",
            &[],
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", &p.fixture.public_app_id),
            ],
        )
        .await?;
    expect(&r, StatusCode::OK, "refresh_token (public client)")?;
    let next = r.json()["refresh_token"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| anyhow::anyhow!("a public client's refresh gave no new token"))?;
    p.grants_public.renewed(turn, next);
    Ok(())
}

/// A token obtained with client credentials, then revoked (RFC 7009): two requests.
async fn revocation(conn: &mut Conn, p: &Prepared) -> anyhow::Result<()> {
    let auth = [("authorization", p.auth.as_str())];
    let r = conn
        .post(
            "/token",
            &auth,
            &[("grant_type", "client_credentials"), ("scope", "accounts")],
        )
        .await?;
    expect(&r, StatusCode::OK, "client_credentials to revoke")?;
    let at = r.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = conn.post("/revoke", &auth, &[("token", &at)]).await?;
    expect(&r, StatusCode::OK, "revoke")?;
    Ok(())
}

/// The query of an authorization request for the bench's app with this PKCE challenge.
fn authorize_query(p: &Prepared, challenge: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", p.fixture.app_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", "openid profile offline_access"),
            ("state", "bench"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
        .finish()
}

async fn code_flow(conn: &mut Conn, p: &Prepared) -> anyhow::Result<()> {
    let verifier = format!("bench-verifier-{:032x}-{:032x}", rand_u128(), rand_u128());
    let challenge = {
        use base64::Engine;
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref())
    };
    let query = authorize_query(p, &challenge);
    let mut jar = Vec::new();
    let r = conn.get(&format!("/authorize?{query}"), &[]).await?;
    expect(&r, StatusCode::OK, "authorize (login page)")?;
    cookies(&r, &mut jar);
    let html = r.text();
    let c = cookie_header(&jar);
    let r = conn
        .post(
            "/login",
            &[("cookie", c.as_str())],
            &[
                ("interaction", &hidden(&html, "interaction")?),
                ("csrf_token", &hidden(&html, "csrf_token")?),
                ("username", &p.fixture.username),
                ("password", PASSWORD),
            ],
        )
        .await?;
    cookies(&r, &mut jar);
    let c = cookie_header(&jar);
    let r = if r.status == StatusCode::OK {
        let html = r.text();
        conn.post(
            "/consent",
            &[("cookie", c.as_str())],
            &[
                ("interaction", &hidden(&html, "interaction")?),
                ("csrf_token", &hidden(&html, "csrf_token")?),
                ("decision", "approve"),
            ],
        )
        .await?
    } else {
        r
    };
    expect(&r, StatusCode::SEE_OTHER, "redirect with the code")?;
    let loc = r.header("location").unwrap_or_default().to_string();
    let code = loc
        .split_once('?')
        .map(|(_, q)| q)
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "code"))
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow::anyhow!("no code in {loc}"))?;
    let auth = [("authorization", p.auth.as_str())];
    let r = conn
        .post(
            "/token",
            &auth,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await?;
    expect(&r, StatusCode::OK, "code exchange")?;
    Ok(())
}

fn rand_u128() -> u128 {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).expect("randomness");
    u128::from_le_bytes(b)
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// Runs one round: `connections` loops for `duration` (spread over the nodes' addresses), then
/// cuts them all mid-request.
/// How the load generator waits for answers.
///
/// On loopback the kernel delivers an answer to the client's socket on the *server's* core, in
/// the server's `write`; if the client's thread sleeps, that write also wakes the client's core.
/// In this VM (nested virtualisation) waking an idle virtual CPU costs the waker 10–200 µs,
/// depending on the host's load: a cost a real client on another machine never puts on the
/// server, and the main source of spread between identical runs. `Awake` keeps the client's
/// core busy (a task that only yields), so the answer finds its reader running and no wake-up
/// is needed; the client's core is its own, so the server's core loses nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    Awake,
    Sleeps,
}

pub async fn round(
    addrs: &[SocketAddr],
    scenario: Scenario,
    p: &Prepared,
    connections: usize,
    duration: Duration,
    client: Client,
) -> RoundResult {
    let shared = Arc::new(Shared {
        ok: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        first_error: Mutex::new(None),
        latencies_us: Mutex::new(Vec::with_capacity(1 << 16)),
    });
    let in_flight = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..connections {
        let addr = addrs[i % addrs.len()];
        let shared = shared.clone();
        let in_flight = in_flight.clone();
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = None;
            loop {
                if conn.is_none() {
                    match Conn::open(addr).await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            shared.error(format!("connect: {e}"));
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let c = conn.as_mut().expect("connected");
                let t0 = Instant::now();
                in_flight.fetch_add(1, Ordering::Relaxed);
                let r = match tokio::time::timeout(ANSWER_WITHIN, step(c, scenario, &p)).await {
                    Ok(r) => r,
                    Err(_) => Err(anyhow::anyhow!(
                        "no answer within {} s",
                        ANSWER_WITHIN.as_secs()
                    )),
                };
                in_flight.fetch_sub(1, Ordering::Relaxed);
                match r {
                    Ok(()) => {
                        shared.ok.fetch_add(1, Ordering::Relaxed);
                        let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                        shared.latencies_us.lock().expect("latency lock").push(us);
                    }
                    Err(e) => {
                        shared.error(format!("{e:#}"));
                        conn = None;
                    }
                }
            }
        }));
    }
    if client == Client::Awake {
        // Never lets the load generator's thread sleep: each answer then finds it running.
        tasks.push(tokio::spawn(async {
            loop {
                tokio::task::yield_now().await;
            }
        }));
    }
    tokio::time::sleep(duration).await;
    let cut_now = in_flight.load(Ordering::Relaxed);
    for t in &tasks {
        t.abort();
    }
    let seconds = start.elapsed().as_secs_f64();
    for t in tasks {
        let _ = t.await;
    }
    let mut lat = std::mem::take(&mut *shared.latencies_us.lock().expect("latency lock"));
    lat.sort_unstable();
    let ok = shared.ok.load(Ordering::Relaxed);
    if ok == 0 {
        shared.error("no request completed in the round".into());
    }
    let first_error = shared.first_error.lock().expect("error lock").clone();
    RoundResult {
        ok,
        errors: shared.errors.load(Ordering::Relaxed),
        first_error,
        seconds,
        rps: ok as f64 / seconds,
        p50_ms: percentile(&lat, 0.50),
        p99_ms: percentile(&lat, 0.99),
        cut: cut_now,
    }
}

/// `n` requests of the scenario, each abandoned (its connection closed) after 0–5 ms, the way
/// `curl --max-time 0.005` hangs up. Returns how many were cut before their answer came.
pub async fn hang_ups(addrs: &[SocketAddr], scenario: Scenario, p: &Prepared, n: usize) -> u64 {
    let mut cut = 0;
    let mut tasks = Vec::new();
    for i in 0..n {
        let p = p.clone();
        let addr = addrs[i % addrs.len()];
        let wait = Duration::from_micros((i as u64 * 397) % 5000);
        tasks.push(tokio::spawn(async move {
            let Ok(mut c) = Conn::open(addr).await else {
                return true;
            };
            tokio::time::timeout(wait, step(&mut c, scenario, &p))
                .await
                .is_err()
        }));
    }
    for t in tasks {
        if t.await.unwrap_or(true) {
            cut += 1;
        }
    }
    cut
}

/// Gets what a scenario needs from a running server.
pub async fn prepare(
    addr: SocketAddr,
    fixture: &Fixture,
    grants: [Arc<Grants>; 3],
) -> anyhow::Result<Prepared> {
    let [grants, grants_openid, grants_public] = grants;
    let auth = basic(&fixture.app_id, &fixture.app_secret);
    let mut conn = Conn::open(addr).await?;
    let r = conn
        .post(
            "/token",
            &[("authorization", auth.as_str())],
            &[("grant_type", "client_credentials"), ("scope", "accounts")],
        )
        .await?;
    expect(&r, StatusCode::OK, "client_credentials for introspection")?;
    let access_token = r.json()["access_token"].as_str().map(String::from);
    Ok(Prepared {
        fixture: fixture.clone(),
        auth,
        grants,
        grants_openid,
        grants_public,
        mixed: Arc::default(),
        access_token,
        assertions: std::sync::Arc::new(Assertions::new(fixture, format!("http://{addr}/token"))?),
        proofs: std::sync::Arc::new(Proofs::new(format!("http://{addr}/token"))?),
    })
}
