//! The hostile-input matrix: every endpoint, every parameter it reads, spoiled in every way a
//! caller can (oversized, repeated, empty, NUL, invalid UTF-8), plus the wrong content type
//! and every pair of client authentication methods. Each answer is an RFC error (or the error
//! page), never a 500, and nothing is stored where nothing should change.

use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use tests::*;

/// Row counts of every table but the audit (failed authentications are audited on purpose).
async fn state(t: &TestApp) -> BTreeMap<&'static str, i64> {
    let mut conn = t.app.store().read().await.unwrap();
    authdesk_store::prune::counts(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|(n, _)| *n != "audit")
        .collect()
}

/// Ways to spoil one parameter's value, as raw (already encoded) form text.
fn spoilings(name: &str, good: &str) -> Vec<(&'static str, String)> {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    vec![
        ("oversized", format!("{name}={}", "x".repeat(9000))),
        (
            "repeated",
            format!("{name}={}&{name}={}", enc(good), enc(good)),
        ),
        ("empty", format!("{name}=")),
        ("NUL", format!("{name}={}%00", enc(good))),
        ("invalid UTF-8", format!("{name}=%FF%FE{}", enc(good))),
    ]
}

/// A form or query string: every parameter of `params` but the `i`th, encoded, and the
/// spoiled one (raw) in its place.
fn with_spoiled<V: AsRef<str>>(params: &[(&str, V)], i: usize, spoiled: String) -> String {
    let mut parts: Vec<String> = params
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, (k, v))| {
            let v: String = form_urlencoded::byte_serialize(v.as_ref().as_bytes()).collect();
            format!("{k}={v}")
        })
        .collect();
    parts.push(spoiled);
    parts.join("&")
}

const RFC_ERRORS: [&str; 9] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "unsupported_token_type",
    "invalid_scope",
    "invalid_token",
    "insufficient_scope",
];

fn assert_rfc_error(what: &str, status: StatusCode, body: &str) {
    assert!(
        status.is_client_error(),
        "{what}: {status} (never a 5xx): {body}"
    );
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: JSON: {body}"));
    let code = v["error"].as_str().unwrap_or("");
    assert!(RFC_ERRORS.contains(&code), "{what}: error {code:?}: {body}");
}

#[tokio::test]
async fn every_json_endpoint_answers_spoiled_parameters_with_an_rfc_error() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let tokens = t
        .code_flow(&c, "ada", "openid offline_access accounts")
        .await;
    let (code, verifier) = t.code(&c, "ada", "openid").await;
    let (rt, at) = (s(&tokens, "refresh_token"), s(&tokens, "access_token"));
    let secret = c.secret.clone().unwrap();

    // Each request is valid as given (it would succeed); the matrix spoils one parameter.
    let requests: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/token",
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
                ("client_id", &c.id),
                ("client_secret", &secret),
            ],
        ),
        (
            "/token",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
                ("scope", "openid"),
                ("client_id", &c.id),
                ("client_secret", &secret),
            ],
        ),
        (
            "/token",
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "accounts"),
                ("client_id", &c.id),
                ("client_secret", &secret),
            ],
        ),
        (
            "/introspect",
            vec![
                ("token", at),
                ("token_type_hint", "access_token"),
                ("client_id", &c.id),
                ("client_secret", &secret),
            ],
        ),
        (
            "/revoke",
            vec![
                ("token", rt),
                ("token_type_hint", "refresh_token"),
                ("client_id", &c.id),
                ("client_secret", &secret),
            ],
        ),
    ];
    let http = reqwest::Client::new();
    let before = state(&t).await;
    let mut cases = 0;
    for (path, params) in &requests {
        for (i, (name, good)) in params.iter().enumerate() {
            for (how, spoiled) in spoilings(name, good) {
                // An empty scope or hint is an absent one (RFC 6749 §3.1): the request stays
                // valid and would succeed, so it is not a spoiled one.
                if how == "empty" && matches!(*name, "scope" | "token_type_hint") {
                    continue;
                }
                let parts = with_spoiled(params, i, spoiled);
                let resp = http
                    .post(t.url(path))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(parts)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                let body = resp.text().await.unwrap();
                let what = format!("{path} {name} {how}");
                // Revocation answers 200 to tokens it does not know (RFC 7009 §2.2), and an
                // empty or unknown hint is only a hint.
                let harmless = *path == "/revoke"
                    && matches!(*name, "token" | "token_type_hint")
                    && matches!(how, "empty" | "NUL" | "invalid UTF-8")
                    || *path == "/introspect"
                        && *name == "token_type_hint"
                        && how != "repeated"
                        && how != "oversized";
                if harmless && status == StatusCode::OK {
                    cases += 1;
                    continue;
                }
                if *path == "/introspect" && *name == "token" && status == StatusCode::OK {
                    assert_eq!(body, r#"{"active":false}"#, "{what}");
                    cases += 1;
                    continue;
                }
                assert_rfc_error(&what, status, &body);
                cases += 1;
            }
        }
    }
    assert!(cases >= 100, "{cases} cases");
    assert_eq!(state(&t).await, before, "nothing stored");
    // The refresh token still works: no spoiled request used or revoked it. (The code is
    // burnt by design: a wrong verifier or redirect URI ends it, so a guess is never retried.)
    let (status, body) = t
        .token(
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn wrong_content_types_and_mixed_authentication_methods_are_refused() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let secret = c.secret.clone().unwrap();
    let http = reqwest::Client::new();
    let before = state(&t).await;
    for path in ["/token", "/introspect", "/revoke"] {
        for ct in [
            "application/json",
            "text/plain",
            "multipart/form-data; boundary=x",
            "",
        ] {
            let mut req = http
                .post(t.url(path))
                .basic_auth(&c.id, Some(&secret))
                .body("grant_type=client_credentials&token=x");
            if !ct.is_empty() {
                req = req.header("content-type", ct);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status();
            assert_rfc_error(
                &format!("{path} {ct:?}"),
                status,
                &resp.text().await.unwrap(),
            );
        }
        // Every pair of client authentication methods in one request.
        let assertion = ("client_assertion", "eyJhbGciOiJSUzI1NiJ9.e30.sig");
        let assertion_type = (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        );
        let post = ("client_secret", secret.as_str());
        let mixes: Vec<(&str, bool, Vec<(&str, &str)>)> = vec![
            ("basic + post", true, vec![post]),
            ("basic + assertion", true, vec![assertion, assertion_type]),
            (
                "post + assertion",
                false,
                vec![post, assertion, assertion_type],
            ),
            (
                "basic + post + assertion",
                true,
                vec![post, assertion, assertion_type],
            ),
        ];
        for (how, with_basic, extra) in mixes {
            let mut form = vec![
                ("grant_type", "client_credentials"),
                ("token", "x"),
                ("client_id", c.id.as_str()),
            ];
            form.extend(extra);
            let mut req = http.post(t.url(path)).form(&form);
            if with_basic {
                req = req.basic_auth(&c.id, Some(&secret));
            }
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let body = resp.text().await.unwrap();
            assert_rfc_error(&format!("{path} {how}"), status, &body);
            assert!(body.contains("invalid_request"), "{path} {how}: {body}");
        }
    }
    assert_eq!(state(&t).await, before);
}

#[tokio::test]
async fn the_browser_endpoints_answer_spoiled_parameters_without_a_500() {
    let t = spawn_app().await;
    let c = t.public().await;
    t.user("ada").await;
    let b = browser();
    let authorize: Vec<(&str, &str)> = vec![
        ("client_id", &c.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s"),
        ("nonce", "n"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("login_hint", "ada"),
        ("prompt", "login"),
        ("max_age", "60"),
    ];
    let before = state(&t).await;
    for (i, (name, good)) in authorize.iter().enumerate() {
        for (how, spoiled) in spoilings(name, good) {
            let q = with_spoiled(&authorize, i, spoiled);
            let resp = b
                .get(format!("{}?{}", t.url("/authorize"), q))
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let what = format!("/authorize {name} {how}");
            assert!(!status.is_server_error(), "{what}: {status}");
            if status == StatusCode::SEE_OTHER {
                let loc = resp.headers()["location"].to_str().unwrap().to_string();
                // Only to the registered URI, and only with an error (or, for a spoiled
                // optional value that is still acceptable, the login page is shown instead).
                assert!(loc.starts_with(REDIRECT), "{what}: {loc}");
                assert!(loc.contains("error="), "{what}: {loc}");
            } else if status == StatusCode::OK {
                // An optional parameter whose spoiled value is still acceptable: the login page.
                let html = resp.text().await.unwrap();
                assert!(html.contains("name=\"password\""), "{what}");
            } else {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{what}");
            }
        }
    }
    // Login and consent forms with every field spoiled.
    let form_html = b
        .get(t.auth_url(&authorize[..8]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let login: Vec<(&str, String)> = vec![
        ("interaction", hidden(&form_html, "interaction")),
        ("csrf_token", hidden(&form_html, "csrf_token")),
        ("username", "ada".into()),
        ("password", "not the password".into()),
    ];
    for path in ["/login", "/consent"] {
        for (i, (name, good)) in login.iter().enumerate() {
            for (how, spoiled) in spoilings(name, good) {
                let parts = with_spoiled(&login, i, spoiled);
                let resp = b
                    .post(t.url(path))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(parts)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                assert!(
                    status.is_client_error(),
                    "{path} {name} {how}: {status} (a refusal, never a 5xx or a success)"
                );
            }
        }
    }
    let after = state(&t).await;
    // New rows only where a page was shown (interactions) or a wrong password counted.
    for table in [
        "grants",
        "refresh_tokens",
        "access_tokens",
        "authorization_codes",
        "sessions",
        "client_assertions",
    ] {
        assert_eq!(after[table], before[table], "{table}");
    }
}

#[tokio::test]
async fn userinfo_answers_spoiled_bearer_tokens_with_invalid_token() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let tokens = t.code_flow(&c, "ada", "openid").await;
    let at = s(&tokens, "access_token");
    let http = reqwest::Client::new();
    let spoiled = [
        ("oversized", format!("Bearer {}", "x".repeat(9000))),
        ("empty", "Bearer ".to_string()),
        ("NUL", format!("Bearer {at}\u{0}")),
        ("not a JWT", "Bearer a.b.c".to_string()),
        ("changed payload", {
            let mut parts: Vec<&str> = at.split('.').collect();
            parts[1] = "eyJzdWIiOiJmb3JnZWQifQ";
            format!("Bearer {}", parts.join("."))
        }),
        ("two tokens", format!("Bearer {at} {at}")),
        ("Basic instead", "Basic YTpi".to_string()),
    ];
    for (how, value) in spoiled {
        for post in [false, true] {
            let req = if post {
                http.post(t.url("/userinfo"))
            } else {
                http.get(t.url("/userinfo"))
            };
            let Ok(resp) = req.header("authorization", value.as_str()).send().await else {
                // A header value reqwest itself refuses to send (the NUL) never reaches us.
                assert_eq!(how, "NUL");
                continue;
            };
            let status = resp.status();
            let www = resp
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            let body = resp.text().await.unwrap();
            assert_rfc_error(&format!("userinfo {how}"), status, &body);
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{how}: {body}");
            assert!(www.starts_with("Bearer"), "{how}: {www}");
        }
    }
    // The real token still works.
    let ok = http
        .get(t.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}
