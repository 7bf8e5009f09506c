//! Bad input gets the exact RFC error, never a 500, and nothing is issued.

use reqwest::StatusCode;
use serde_json::Value;
use tests::*;

async fn raw_token(
    t: &TestApp,
    body: &str,
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut r = reqwest::Client::new()
        .post(t.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    if let Some((id, secret)) = basic {
        r = r.basic_auth(id, Some(secret));
    }
    let resp = r.send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, resp.json().await.unwrap_or(Value::Null), headers)
}

#[tokio::test]
async fn token_endpoint_errors() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let secret = c.secret.clone().unwrap();
    let ok = Some((c.id.as_str(), secret.as_str()));
    let (code, verifier) = t.code(&c, "ada", "openid").await;
    let cases: Vec<(&str, String, Option<(&str, &str)>, StatusCode, &str)> = vec![
        (
            "wrong secret",
            "grant_type=client_credentials".into(),
            Some((c.id.as_str(), "wrong")),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            "unknown client",
            "grant_type=client_credentials".into(),
            Some(("nobody", "x")),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            "no client auth",
            "grant_type=client_credentials".into(),
            None,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            "secret via the wrong method",
            format!(
                "grant_type=client_credentials&client_id={}&client_secret={secret}",
                c.id
            ),
            None,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            "unsupported grant type",
            "grant_type=password&username=a&password=b".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            "implicit is not a grant",
            "grant_type=implicit".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            "missing grant type",
            "scope=accounts".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "duplicated parameter",
            "grant_type=client_credentials&scope=accounts&scope=accounts".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "two auth methods",
            format!(
                "grant_type=client_credentials&client_id={}&client_secret={secret}",
                c.id
            ),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "code missing",
            "grant_type=authorization_code&redirect_uri=x".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "unknown code",
            format!("grant_type=authorization_code&code=nope&redirect_uri={REDIRECT}"),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            "unknown refresh token",
            "grant_type=refresh_token&refresh_token=nope".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            "scope not allowed",
            "grant_type=client_credentials&scope=admin".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            "malformed scope",
            "grant_type=client_credentials&scope=a%22b".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            "user scope in client credentials",
            "grant_type=client_credentials&scope=openid".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            "malformed body",
            "%%%=&&==".into(),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "wrong PKCE verifier",
            format!(
                "grant_type=authorization_code&code={code}&redirect_uri={REDIRECT}&code_verifier={}",
                "x".repeat(43)
            ),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            "code burnt by the failed attempt",
            format!(
                "grant_type=authorization_code&code={code}&redirect_uri={REDIRECT}&code_verifier={verifier}"
            ),
            ok,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
    ];
    for (name, body, auth, status, error) in cases {
        let (got, json, headers) = raw_token(&t, &body, auth).await;
        assert_eq!(
            (got, json["error"].as_str().unwrap_or("")),
            (status, error),
            "{name}: {json}"
        );
        assert!(json["error_description"].is_string(), "{name}");
        assert_eq!(headers["cache-control"], "no-store", "{name}");
        if status == StatusCode::UNAUTHORIZED {
            assert!(
                headers["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Basic"),
                "{name}"
            );
        }
    }
    let (status, json, _) = raw_token(&t, "grant_type=client_credentials", ok).await;
    assert_eq!(status, StatusCode::OK, "the client still works: {json}");
}

#[tokio::test]
async fn wrong_content_type_is_invalid_request() {
    let t = spawn_app().await;
    let r = reqwest::Client::new()
        .post(t.url("/token"))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn replayed_code_fails_and_revokes_what_it_produced() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let (code, verifier) = t.code(&c, "ada", "openid offline_access").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, first) = t.token(&c, &form).await;
    assert_eq!(status, StatusCode::OK);
    let (status, e) = t.token(&c, &form).await;
    assert_eq!(
        (status, s(&e, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    let (status, _) = t
        .token(
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", s(&first, "refresh_token")),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the refresh token from the replayed code is revoked"
    );
    let ui = reqwest::Client::new()
        .get(t.url("/userinfo"))
        .bearer_auth(s(&first, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ui.status(),
        StatusCode::UNAUTHORIZED,
        "and so is its access token"
    );
}

#[tokio::test]
async fn disabled_app_gets_no_tokens() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let body = t.code_flow(&c, "ada", "openid offline_access").await;
    t.app
        .client_set_enabled(&c.id, false, &actor())
        .await
        .unwrap();
    let (status, e) = t
        .token(
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", s(&body, "refresh_token")),
            ],
        )
        .await;
    assert_eq!(
        (status, s(&e, "error")),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let url = t.auth_url(&[
        ("client_id", &c.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "d"),
    ]);
    let p = redirect_params(&browser().get(&url).send().await.unwrap());
    assert_eq!(p["error"], "unauthorized_client");
    let ui = reqwest::Client::new()
        .get(t.url("/userinfo"))
        .bearer_auth(s(&body, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn authorization_endpoint_errors() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let b = browser();
    fn base<'a>(id: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut p: Vec<(&str, &str)> = vec![
            ("client_id", id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "st"),
        ];
        p.extend_from_slice(extra);
        p
    }
    // No redirect may happen when the client or the redirect URI cannot be trusted.
    let page_cases: Vec<(&str, String)> = vec![
        (
            "unregistered redirect uri",
            t.auth_url(&[
                ("client_id", &c.id),
                ("redirect_uri", "http://127.0.0.1:9/evil"),
                ("response_type", "code"),
                ("scope", "openid"),
            ]),
        ),
        (
            "redirect uri differs in case",
            t.auth_url(&[
                ("client_id", &c.id),
                ("redirect_uri", "http://127.0.0.1:9/Callback"),
                ("response_type", "code"),
                ("scope", "openid"),
            ]),
        ),
        (
            "unknown client",
            t.auth_url(&[
                ("client_id", "nobody"),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
            ]),
        ),
        (
            "missing client",
            t.auth_url(&[("redirect_uri", REDIRECT), ("response_type", "code")]),
        ),
        (
            "duplicated redirect uri",
            format!(
                "{}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback",
                t.auth_url(&base(&c.id, &[]))
            ),
        ),
        (
            "reflected markup",
            t.auth_url(&[
                ("client_id", "<script>alert(1)</script>"),
                ("redirect_uri", REDIRECT),
            ]),
        ),
    ];
    for (name, url) in page_cases {
        let r = b.get(&url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{name}");
        assert!(r.headers().get("location").is_none(), "{name}: no redirect");
        assert!(
            !r.text().await.unwrap().contains("<script>alert"),
            "{name}: escaped"
        );
    }
    let redirect_cases: Vec<(&str, Vec<(&str, &str)>, &str)> = vec![
        (
            "response_type token",
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (
            "scope not allowed",
            vec![("scope", "openid admin")],
            "invalid_scope",
        ),
        (
            "plain PKCE",
            vec![
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            "prompt none with login",
            vec![("prompt", "none login")],
            "invalid_request",
        ),
        (
            "negative max_age",
            vec![("max_age", "-1")],
            "invalid_request",
        ),
        (
            "request object",
            vec![("request", "eyJ.x.y")],
            "request_not_supported",
        ),
        (
            "request_uri",
            vec![("request_uri", "https://x.example/r")],
            "request_uri_not_supported",
        ),
        (
            "fragment response mode",
            vec![("response_mode", "fragment")],
            "invalid_request",
        ),
    ];
    for (name, extra, error) in redirect_cases {
        let mut params = base(&c.id, &[]);
        params.retain(|(k, _)| !extra.iter().any(|(k2, _)| k2 == k));
        params.extend(extra.iter().copied());
        let r = b.get(t.auth_url(&params)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name}");
        let p = redirect_params(&r);
        assert_eq!(p["error"], error, "{name}");
        assert_eq!(p["state"], "st", "{name}");
        assert_eq!(p["iss"], t.issuer.as_str(), "{name}");
        assert!(p.get("code").is_none(), "{name}");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with(REDIRECT),
            "{name}"
        );
    }
    // a repeated parameter other than client_id/redirect_uri is a redirect error
    let r = b
        .get(format!("{}&scope=openid", t.auth_url(&base(&c.id, &[]))))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect_params(&r)["error"], "invalid_request");
    // unknown parameters are ignored
    let r = b
        .get(t.auth_url(&base(&c.id, &[("extra", "foobar")])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "login page");
}

#[tokio::test]
async fn userinfo_errors() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let cases = [
        (None, StatusCode::UNAUTHORIZED),
        (Some("garbage"), StatusCode::UNAUTHORIZED),
        (
            Some("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0."),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (token, status) in cases {
        let mut r = reqwest::Client::new().get(t.url("/userinfo"));
        if let Some(tok) = token {
            r = r.bearer_auth(tok);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), status, "{token:?}");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
    // a client-credentials token has no user: insufficient_scope
    let (_, body) = t.token(&c, &[("grant_type", "client_credentials")]).await;
    let r = reqwest::Client::new()
        .get(t.url("/userinfo"))
        .bearer_auth(s(&body, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
