//! Two `authdesk serve` processes on one PostgreSQL database, used the way a load balancer
//! would use them: a code flow begun on one node is finished on the other; sixteen
//! simultaneous refreshes of one public-client token spread over both succeed once; a grant
//! revoked from the CLI stops refreshing on both at once, an app disabled from the CLI is
//! refused by both within a second; a node killed with SIGKILL
//! mid-load loses nothing a client saw committed — the other node honours every token it had
//! answered with, and seals its audit events once its lease lapses; a PostgreSQL restart mid-load is answered 503 while the database is down,
//! the node reconnects by itself, and nothing answered 200 is lost.

mod common;

use base64::Engine;
use common::*;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ISSUER: &str = "http://auth.bank.test";
const REDIRECT: &str = "http://127.0.0.1:9/cb";

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the field") + marker.len();
    let end = html[start..].find('"').expect("its end") + start;
    html[start..end].to_string()
}

fn pkce() -> (String, String) {
    let verifier = "v".repeat(50);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    (verifier, challenge)
}

/// The browser part on `node`: the login form, then the redirect's code.
async fn code_on(node: &str, client_id: &str, challenge: &str) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut url = url::Url::parse(&format!("{node}/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid offline_access")
        .append_pair("state", "s")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    let html = browser.get(url).send().await.unwrap().text().await.unwrap();
    let r = browser
        .post(format!("{node}/login"))
        .form(&[
            ("interaction", hidden(&html, "interaction").as_str()),
            ("csrf_token", hidden(&html, "csrf_token").as_str()),
            ("username", "ada"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code")
}

async fn post(url: String, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(url).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_database_act_as_one_issuer() {
    let db = pg::fresh_database().await;
    let logs = tempfile::tempdir().unwrap();
    let mobile = json_on(
        &db,
        &[
            "clients",
            "create",
            "--name",
            "Mobile",
            "--type",
            "public",
            "--redirect-uri",
            REDIRECT,
            "--scope",
            "openid",
            "--scope",
            "offline_access",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--consent-required",
            "false",
            "--json",
        ],
    )["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let service = json_on(
        &db,
        &[
            "clients",
            "create",
            "--name",
            "Ledger",
            "--scope",
            "accounts",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
    );
    let (service_id, service_secret) = (
        service["client_id"].as_str().unwrap().to_string(),
        service["client_secret"].as_str().unwrap().to_string(),
    );
    json_on(
        &db,
        &[
            "users",
            "create",
            "--username",
            "ada",
            "--password",
            "correct horse",
            "--json",
        ],
    );
    let a = Server::start_on(&db, &logs.path().join("a.log"), &["--issuer", ISSUER]);
    let b = Server::start_on(&db, &logs.path().join("b.log"), &["--issuer", ISSUER]);

    // A code flow begun on A, the code exchanged on B.
    let (verifier, challenge) = pkce();
    let code = code_on(&a.base, &mobile, &challenge).await;
    let (status, tokens) = post(
        format!("{}/token", b.base),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &mobile),
            ("code_verifier", &verifier),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();

    // Sixteen simultaneous refreshes of that public-client token, eight on each node.
    let attempts: Vec<_> = (0..16)
        .map(|i| {
            let node = if i % 2 == 0 { &a.base } else { &b.base };
            let (url, mobile, rt) = (
                format!("{node}/token"),
                mobile.clone(),
                refresh_token.clone(),
            );
            tokio::spawn(async move {
                post(
                    url,
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", &rt),
                        ("client_id", &mobile),
                    ],
                    None,
                )
                .await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in attempts {
        statuses.push(t.await.unwrap().0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );

    // A grant revoked from the CLI stops refreshing on both nodes.
    let listed = json_on(&db, &["grants", "list", "--json"]);
    let sub = listed["grants"][0]["sub"].as_str().unwrap();
    let minted = json_on(
        &db,
        &[
            "mint",
            "--client-id",
            &mobile,
            "--sub",
            sub,
            "--scope",
            "openid offline_access",
            "--json",
        ],
    );
    let mut rt = minted["refresh_token"].as_str().unwrap().to_string();
    let (status, body) = post(
        format!("{}/token", a.base),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", &mobile),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    rt = body["refresh_token"].as_str().unwrap().to_string();
    let grant = json_on(&db, &["grants", "list", "--json"])["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["revoked_at"].is_null())
        .expect("the minted grant")["grant_id"]
        .as_str()
        .unwrap()
        .to_string();
    json_on(&db, &["grants", "revoke", &grant, "--json"]);
    // Grants are read on every request: both nodes refuse at once.
    for node in [&a.base, &b.base] {
        let (status, body) = post(
            format!("{node}/token"),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", &mobile),
            ],
            None,
        )
        .await;
        assert_eq!(status, 400, "{node}: {body}");
    }
    // Apps are cached by each node: a CLI disable reaches both within a second.
    json_on(&db, &["clients", "disable", &service_id, "--json"]);
    let disabled_at = Instant::now();
    for node in [&a.base, &b.base] {
        loop {
            let (status, _) = post(
                format!("{node}/token"),
                &[("grant_type", "client_credentials")],
                Some((&service_id, &service_secret)),
            )
            .await;
            if status == 401 {
                break;
            }
            assert!(
                disabled_at.elapsed() < Duration::from_secs(1),
                "{node} still serves a disabled app"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    println!(
        "a disabled app refused on both nodes after {:?}",
        disabled_at.elapsed()
    );
    json_on(&db, &["clients", "enable", &service_id, "--json"]);
    tokio::time::sleep(Duration::from_millis(600)).await;

    // Load on both; A killed with SIGKILL mid-way: every token a client got from A still
    // introspects active on B.
    let issued: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (url, id, secret, issued, stop) = (
                format!("{}/token", a.base),
                service_id.clone(),
                service_secret.clone(),
                issued.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = client
                        .post(&url)
                        .basic_auth(&id, Some(&secret))
                        .form(&[("grant_type", "client_credentials")])
                        .send()
                        .await;
                    let Ok(r) = r else { break };
                    if r.status() != 200 {
                        continue;
                    }
                    // Only a response read to its end counts as received.
                    let Ok(body) = r.json::<Value>().await else {
                        break;
                    };
                    issued
                        .lock()
                        .unwrap()
                        .push(body["access_token"].as_str().unwrap().to_string());
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut a = a;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let issued = issued.lock().unwrap().clone();
    assert!(issued.len() > 20, "A answered under load: {}", issued.len());
    for at in &issued {
        let (status, body) = post(
            format!("{}/introspect", b.base),
            &[("token", at)],
            Some((&service_id, &service_secret)),
        )
        .await;
        assert_eq!(
            (status, &body["active"]),
            (200, &Value::Bool(true)),
            "{body}"
        );
    }
    println!(
        "{} tokens answered by A before SIGKILL, all active on B",
        issued.len()
    );
    // A may have held the audit sealer's lease when it died: B takes it over once it lapses
    // (5 s by the nodes' clocks) and seals every event A committed. Read straight from the
    // database: a CLI command would seal them itself as it closes.
    let killed = Instant::now();
    let mut db_conn = {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&db).await.unwrap()
    };
    loop {
        let unsealed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE hash IS NULL")
            .fetch_one(&mut db_conn)
            .await
            .unwrap();
        if unsealed == 0 {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(15),
            "{unsealed} audit events still unsealed 15 s after A died"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "every audit event sealed {:?} after A died",
        killed.elapsed()
    );
    assert_eq!(
        json_on(&db, &["audit", "verify", "--json"])["first_bad"],
        Value::Null
    );
    drop(b);
}

/// `authdesk migrate --to postgres://…`: a data directory's registry, tokens and audit copied
/// into PostgreSQL, where a node then honours the app's secret and the refresh token issued
/// before the move, and the audit chain still verifies; a second copy into the same database is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_migrates_into_postgres_and_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let app = json(
        d,
        &[
            "clients",
            "create",
            "--name",
            "Budget Pal",
            "--redirect-uri",
            REDIRECT,
            "--scope",
            "offline_access",
            "--scope",
            "accounts",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
    );
    let (id, secret) = (
        app["client_id"].as_str().unwrap().to_string(),
        app["client_secret"].as_str().unwrap().to_string(),
    );
    let sub = json(
        d,
        &[
            "users",
            "create",
            "--username",
            "ada",
            "--password",
            "correct horse",
            "--json",
        ],
    )["sub"]
        .as_str()
        .unwrap()
        .to_string();
    let minted = json(
        d,
        &[
            "mint",
            "--client-id",
            &id,
            "--sub",
            &sub,
            "--scope",
            "offline_access accounts",
            "--json",
        ],
    );
    let rt = minted["refresh_token"].as_str().unwrap().to_string();

    let db = pg::fresh_database().await;
    let report = json(d, &["migrate", "--to", &db, "--json"]);
    let rows = report["rows"].as_array().unwrap();
    let count = |table: &str| {
        rows.iter().find(|r| r["table"] == table).unwrap()["rows"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        (count("clients"), count("users"), count("grants")),
        (1, 1, 1)
    );
    assert!(
        count("audit") >= 3 && count("refresh_tokens") == 1,
        "{report}"
    );
    let (code, out, err) = authdesk_on(&db, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");

    let logs = tempfile::tempdir().unwrap();
    let node = Server::start_on(&db, &logs.path().join("node.log"), &[]);
    let (status, body) = post(
        format!("{}/token", node.base),
        &[("grant_type", "client_credentials"), ("scope", "accounts")],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(status, 200, "the app's secret still opens: {body}");
    let (status, body) = post(
        format!("{}/token", node.base),
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(
        status, 200,
        "the refresh token issued before the move refreshes: {body}"
    );

    let (code, _, err) = authdesk(d, &["migrate", "--to", &db]);
    assert_eq!(code, 1);
    assert!(err.contains("already holds a registry"), "{err}");
}

/// PostgreSQL stopped and started again under load (its own cluster): while it is down every
/// token request is answered `503 temporarily_unavailable` with `Retry-After` (never a 500 or a
/// hang) and `/readyz` says the database cannot be reached; once it is back the node serves
/// again on its own (new connections replace the ones the restart dropped), and every token
/// it answered 200 — before, during or after — introspects active.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_mid_load_is_503_then_the_node_recovers_and_loses_nothing() {
    let cluster = pg::OwnCluster::start();
    let db = cluster.url.clone();
    let logs = tempfile::tempdir().unwrap();
    let service = json_on(
        &db,
        &[
            "clients",
            "create",
            "--name",
            "Ledger",
            "--scope",
            "accounts",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
    );
    let (id, secret) = (
        service["client_id"].as_str().unwrap().to_string(),
        service["client_secret"].as_str().unwrap().to_string(),
    );
    let node = Server::start_on(&db, &logs.path().join("serve.log"), &["--issuer", ISSUER]);

    #[derive(Default)]
    struct Seen {
        issued: Vec<String>,
        unavailable: u64,
        other: Vec<String>,
    }
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (url, id, secret, seen, stop) = (
                format!("{}/token", node.base),
                id.clone(),
                secret.clone(),
                seen.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = client
                        .post(&url)
                        .basic_auth(&id, Some(&secret))
                        .form(&[("grant_type", "client_credentials")])
                        .send()
                        .await;
                    let r = match r {
                        Ok(r) => r,
                        Err(e) => {
                            seen.lock().unwrap().other.push(format!("no answer: {e}"));
                            continue;
                        }
                    };
                    let status = r.status().as_u16();
                    let retry_after = r.headers().contains_key("retry-after");
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    let refused = {
                        let mut seen = seen.lock().unwrap();
                        match status {
                            200 => {
                                let at = body["access_token"].as_str().unwrap().to_string();
                                seen.issued.push(at);
                                false
                            }
                            503 if body["error"] == "temporarily_unavailable" && retry_after => {
                                seen.unavailable += 1;
                                true
                            }
                            _ => {
                                seen.other.push(format!("{status} {body}"));
                                false
                            }
                        }
                    };
                    if refused {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            })
        })
        .collect();
    let readyz = || async {
        let r = reqwest::get(format!("{}/readyz", node.base)).await.unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = seen.lock().unwrap().issued.len();
    assert!(before > 0, "the node serves before the restart");

    cluster.stop();
    let stopped = Instant::now();
    let (status, body) = readyz().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["reason"], "the database cannot be reached or cannot take work now",
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let down = seen.lock().unwrap().unavailable;
    assert!(
        down > 0,
        "requests while the database is down are answered 503"
    );

    cluster.start_again();
    let restarted = Instant::now();
    let resumed = loop {
        let n = seen.lock().unwrap().issued.len();
        let (status, _) = readyz().await;
        if status == 200 && n > before {
            break restarted.elapsed();
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(15),
            "the node did not recover within 15 s of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let issued_after = seen.lock().unwrap().issued.len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        seen.other.is_empty(),
        "every answer is 200 or 503 temporarily_unavailable: {:?}",
        &seen.other[..seen.other.len().min(5)]
    );
    assert!(
        seen.issued.len() > issued_after,
        "it keeps serving after recovering"
    );
    for at in &seen.issued {
        let (status, body) = post(
            format!("{}/introspect", node.base),
            &[("token", at)],
            Some((&id, &secret)),
        )
        .await;
        assert_eq!(
            (status, &body["active"]),
            (200, &Value::Bool(true)),
            "{body}"
        );
    }
    println!(
        "database down {:?}: {} requests answered 503; serving again {resumed:?} after it came back; {} tokens answered 200, all active",
        restarted - stopped,
        seen.unavailable,
        seen.issued.len()
    );
    drop(node);
}
