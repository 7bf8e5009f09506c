//! Pushed authorization requests (RFC 9126) over real HTTP: an app pushes its request,
//! authenticated as at the token endpoint, and the browser brings only `client_id` and the
//! `request_uri`; the pushed request is checked when pushed, used once, lives 60 s by the
//! sandbox clock, belongs to its app, and is not contradicted by the browser's parameters. An
//! app registered to require it cannot sign people in without it.

use authdesk_core::client::ClientDraft;
use authdesk_core::site::Endpoint;
use reqwest::StatusCode;
use serde_json::Value;
use tests::*;

/// Pushes `form` as `client` (Basic auth when it has a secret): the status and the body.
async fn push(t: &TestApp, client: &Registered, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(t.endpoint(Endpoint::Par))
        .form(form);
    if let Some(s) = &client.secret {
        req = req.basic_auth(&client.id, Some(s));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn pkce() -> (String, String) {
    let verifier = format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let challenge = authdesk_core::pkce::challenge_for(&verifier);
    (verifier, challenge)
}

/// What the browser sees at the authorization endpoint with these parameters: the status and
/// the page's text (an error page) or the redirect's parameters.
async fn visit(t: &TestApp, params: &[(&str, &str)]) -> (StatusCode, String) {
    let resp = browser().get(t.auth_url(params)).send().await.unwrap();
    let status = resp.status();
    let text = match resp.headers().get("location") {
        Some(l) => l.to_str().unwrap().to_string(),
        None => resp.text().await.unwrap(),
    };
    (status, text)
}

#[tokio::test]
async fn a_pushed_request_signs_a_person_in_once_and_expires() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let (verifier, challenge) = pkce();
    let form = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid offline_access"),
        ("state", "s-par"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (status, body) = push(&t, &c, &form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["expires_in"], 60);
    let uri = s(&body, "request_uri").to_string();
    assert!(
        uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{uri}"
    );

    // The browser brings client_id and the request_uri only; the rest comes from the push.
    let url = t.auth_url(&[("client_id", &c.id), ("request_uri", &uri)]);
    let params = t.authorize(&browser(), &url, "ada").await;
    assert_eq!(params["state"], "s-par");
    let code = params["code"].as_str().unwrap();
    let (status, tokens) = t
        .token(
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");

    // Used once: the same request_uri again is a page, never a redirect.
    let (status, page) = visit(&t, &[("client_id", &c.id), ("request_uri", &uri)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("used already") && page.contains("invalid_request_uri"),
        "{page}"
    );

    // 60 s by the sandbox clock, then gone.
    let (_, body) = push(&t, &c, &form).await;
    let uri = s(&body, "request_uri").to_string();
    t.advance(chrono::Duration::seconds(61)).await;
    let (status, page) = visit(&t, &[("client_id", &c.id), ("request_uri", &uri)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("expired"), "{page}");
    // Each refusal is counted by its RFC 9101 code.
    let m = crate::metrics::scrape(&t).await;
    assert_eq!(
        crate::metrics::sample(
            &m,
            "authdesk_oauth_errors_total{endpoint=\"/authorize\",error=\"invalid_request_uri\"}"
        ),
        Some(2.0),
        "{m}"
    );
}

#[tokio::test]
async fn a_pushed_request_is_its_apps_own_and_is_not_contradicted() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let other = t.confidential().await;
    let (_, challenge) = pkce();
    let form = [
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (_, body) = push(&t, &c, &form).await;
    let uri = s(&body, "request_uri").to_string();
    let (status, page) = visit(&t, &[("client_id", &other.id), ("request_uri", &uri)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("another application") && page.contains("invalid_request_uri"),
        "{page}"
    );

    let (_, body) = push(&t, &c, &form).await;
    let uri = s(&body, "request_uri").to_string();
    let (status, page) = visit(
        &t,
        &[
            ("client_id", &c.id),
            ("request_uri", &uri),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("contradict"), "{page}");

    // A request_uri this server never handed out is not a pushed request at all.
    let (status, location) = visit(
        &t,
        &[
            ("client_id", &c.id),
            ("request_uri", "urn:ietf:params:oauth:request_uri:nope"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{location}");
}

#[tokio::test]
async fn pushing_checks_the_client_and_the_request_and_stores_nothing_refused() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let (_, challenge) = pkce();
    let good = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let unauthenticated = Registered {
        id: c.id.clone(),
        secret: Some("wrong".into()),
    };
    let (status, body) = push(&t, &unauthenticated, &good).await;
    assert_eq!(
        (status, s(&body, "error")),
        (StatusCode::UNAUTHORIZED, "invalid_client")
    );
    let with = |k: &'static str, v: &'static str| {
        let mut f = good.clone();
        f.retain(|(name, _)| *name != k);
        f.push((k, v));
        f
    };
    for (name, form, error) in [
        (
            "an unregistered redirect",
            with("redirect_uri", "https://evil.example/cb"),
            "invalid_request",
        ),
        (
            "a scope not allowed",
            with("scope", "openid admin"),
            "invalid_scope",
        ),
        (
            "a request_uri",
            with("request_uri", "urn:ietf:params:oauth:request_uri:x"),
            "invalid_request",
        ),
        (
            "another client_id",
            with("client_id", "someone-else"),
            "invalid_request",
        ),
    ] {
        let (status, body) = push(&t, &c, &form).await;
        assert_eq!(
            (status, s(&body, "error")),
            (StatusCode::BAD_REQUEST, error),
            "{name}: {body}"
        );
    }
    let mut conn = t.app.store().read().await.unwrap();
    let counts = authdesk_store::prune::counts(&mut conn).await.unwrap();
    assert!(counts.contains(&("pushed_requests", 0)), "{counts:?}");

    let discovery = get_json(&t.url("/.well-known/openid-configuration")).await;
    assert_eq!(
        discovery["pushed_authorization_request_endpoint"],
        t.endpoint(Endpoint::Par)
    );
}

#[tokio::test]
async fn an_app_that_requires_par_cannot_sign_people_in_without_it() {
    let t = spawn_app().await;
    let c = t
        .client(ClientDraft {
            name: "Pushed only".into(),
            redirect_uris: vec![REDIRECT.into()],
            scopes: vec!["openid".into()],
            require_pushed_authorization_requests: Some(true),
            ..Default::default()
        })
        .await;
    t.user("ada").await;
    let (verifier, challenge) = pkce();
    let plain = [
        ("client_id", c.id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "s1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (status, location) = visit(&t, &plain).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.contains("error=invalid_request"), "{location}");

    let (_, body) = push(&t, &c, &plain[1..]).await;
    let uri = s(&body, "request_uri").to_string();
    let url = t.auth_url(&[("client_id", &c.id), ("request_uri", &uri)]);
    let params = t.authorize(&browser(), &url, "ada").await;
    let (status, tokens) = t
        .token(
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", params["code"].as_str().unwrap()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert!(
        t.app
            .client_show(&c.id)
            .await
            .unwrap()
            .require_pushed_authorization_requests
    );
}

/// `serve --require-par`: every app, not only those registered so, must push; discovery says so.
#[tokio::test]
async fn a_server_that_requires_par_says_so_and_refuses_plain_requests() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let discovery = get_json(&t.url("/.well-known/openid-configuration")).await;
    assert_eq!(discovery["require_pushed_authorization_requests"], false);
    t.app.set_require_par(true);
    let discovery = get_json(&t.url("/.well-known/openid-configuration")).await;
    assert_eq!(discovery["require_pushed_authorization_requests"], true);
    let (_, challenge) = pkce();
    let plain = [
        ("client_id", c.id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (status, location) = visit(&t, &plain).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.contains("error=invalid_request"), "{location}");
    let (status, body) = push(&t, &c, &plain[1..]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The console's server settings keep the PAR and DPoP-nonce switches (the console applies them
/// to its embedded server when it starts it).
#[tokio::test]
async fn the_consoles_server_settings_keep_the_par_and_nonce_switches() {
    let t = spawn_app().await;
    let mut s = t.app.server_settings().await.unwrap();
    assert_eq!((s.require_par, s.dpop_nonce), (false, false));
    s.require_par = true;
    s.dpop_nonce = true;
    t.app.set_server_settings(s, &actor()).await.unwrap();
    let again = t.app.server_settings().await.unwrap();
    assert_eq!((again.require_par, again.dpop_nonce), (true, true));
}
