//! What a caller with no credentials can make the server do (issue 21, second pass): a flood of
//! authorization requests stores nothing, and requests that are malformed at the HTTP level
//! (two Host headers, a request line naming another host, a broken chunked body) get a clear
//! JSON error. Each of these was accepted, stored or answered in plain text before.

use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes in the data directory (0 on PostgreSQL, where row counts tell instead).
fn dir_bytes(t: &TestApp) -> u64 {
    std::fs::read_dir(t.dir.path())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

async fn rows(t: &TestApp) -> BTreeMap<&'static str, i64> {
    let mut conn = t.app.store().read().await.unwrap();
    authdesk_store::prune::counts(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn a_flood_of_authorization_requests_stores_nothing() {
    let t = spawn_app().await;
    let c = t.public().await;
    t.user("ada").await;
    let url = t.auth_url(&[
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ]);
    let (bytes_before, rows_before) = (dir_bytes(&t), rows(&t).await);

    // 8 s from 32 callers at once, each opening a new login page as fast as it is answered.
    let until = Instant::now() + Duration::from_secs(8);
    let callers: Vec<_> = (0..32)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut statuses = BTreeMap::<u16, u32>::new();
                while Instant::now() < until {
                    let status = match http.get(&url).send().await {
                        Ok(resp) => {
                            let s = resp.status().as_u16();
                            let _ = resp.bytes().await;
                            s
                        }
                        Err(_) => 0,
                    };
                    *statuses.entry(status).or_default() += 1;
                }
                statuses
            })
        })
        .collect();
    let mut statuses = BTreeMap::<u16, u32>::new();
    for c in callers {
        for (s, n) in c.await.unwrap() {
            *statuses.entry(s).or_default() += n;
        }
    }
    let pages = statuses.get(&200).copied().unwrap_or(0);
    let grown = dir_bytes(&t).saturating_sub(bytes_before);
    println!("{pages} login pages in 8 s; answers {statuses:?}; data directory grew {grown} bytes");

    assert!(pages > 100, "the flood was served: {statuses:?}");
    assert!(
        statuses.keys().all(|s| [200, 429, 503].contains(s)),
        "only pages and overload answers, never a 500 or a dropped connection: {statuses:?}"
    );
    assert_eq!(rows(&t).await, rows_before, "no row for a login page");
    assert!(grown < 4 << 20, "the data directory grew {grown} bytes");
    // The pages are still good: one completes a login.
    let params = t.authorize(&browser(), &url, "ada").await;
    assert!(params.contains_key("code"), "{params:?}");
}

/// Sends raw bytes as one HTTP/1.1 request; returns the status, the head and the body.
async fn raw(t: &TestApp, request: &str) -> (u16, String, String) {
    let addr = t.issuer.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    let out = String::from_utf8_lossy(&out).to_string();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {out:?}"));
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn host(t: &TestApp) -> String {
    t.issuer.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn a_second_host_header_or_another_host_on_the_request_line_is_refused() {
    let t = spawn_app().await;
    let h = host(&t);
    let (status, head, body) = raw(
        &t,
        &format!(
            "GET /jwks HTTP/1.1\r\nHost: {h}\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(body.contains("more than one Host header"), "{body}");

    let (status, _, body) = raw(
        &t,
        &format!("GET http://evil.example/jwks HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("another host"), "{body}");

    // The absolute form naming this host is fine (RFC 9112 §3.2.2).
    let (status, _, body) = raw(
        &t,
        &format!("GET http://{h}/jwks HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_malformed_chunked_body_gets_a_json_error() {
    let t = spawn_app().await;
    let h = host(&t);
    let (status, head, body) = raw(
        &t,
        &format!(
            "POST /token HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\ngrant_type=x\r\n0\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status, 400, "{head}\n{body}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn login_pages_may_post_only_here_and_to_the_app() {
    let t = spawn_app().await;
    let c = t.public().await;
    let resp = browser()
        .get(t.auth_url(&[
            ("client_id", c.id.as_str()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:9"),
        "{csp}"
    );
}

/// The server holds its registry's apps in memory; an app another process registers is still
/// found at once (an unknown id looks at the registry's version, at most every 100 ms).
#[tokio::test]
async fn an_app_registered_by_another_process_works_at_once() {
    let t = spawn_app().await;
    // The serving process has read its (empty) registry whole.
    t.app.sync().await.unwrap();
    let other = t.open_again().await;
    let c = other
        .client_create(
            &authdesk_core::client::ClientDraft {
                name: "Registered elsewhere".into(),
                client_type: Some(authdesk_core::client::ClientType::Public),
                auth_method: Some(authdesk_core::client::AuthMethod::None),
                redirect_uris: vec![REDIRECT.into()],
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    let resp = browser()
        .get(t.auth_url(&[
            ("client_id", c.client.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
}
