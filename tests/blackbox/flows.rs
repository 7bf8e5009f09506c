//! End-to-end behaviour of the flows over HTTP: consent, prompt, sessions, client credentials,
//! introspection, revocation, userinfo, and changes made by another process.

use authdesk_core::client::{AuthMethod, ClientDraft, GrantType};
use authdesk_server::api::audit::AuditAction;
use reqwest::StatusCode;
use serde_json::Value;
use tests::*;

#[tokio::test]
async fn code_flow_issues_what_the_scope_asks_for() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let sub = t.user("ada").await;
    let body = t
        .code_flow(
            &c,
            "ada",
            "openid profile https://api.banno.com/consumer/auth/offline_access",
        )
        .await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert!(
        body["refresh_token"].is_string(),
        "the URI form of offline access gives a refresh token"
    );
    let at = claims(s(&body, "access_token"));
    assert_eq!(at["sub"], sub.as_str());
    assert_eq!(at["client_id"], c.id.as_str());
    assert_eq!(at["iss"], t.issuer.as_str());
    assert_eq!(
        at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap(),
        600
    );
    let id = claims(s(&body, "id_token"));
    assert_eq!(id["name"], "Ada Lovelace");
    assert!(
        id.get("https://api.banno.com/consumer/claim/institution_id")
            .is_none(),
        "a custom claim only when asked for with the claims parameter"
    );
    assert!(id.get("email").is_none(), "email scope not requested");
    assert_eq!(
        id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap(),
        3600
    );

    let plain = t.code_flow(&c, "ada", "accounts").await;
    assert!(plain.get("id_token").is_none(), "no openid, no ID token");
    assert!(
        plain.get("refresh_token").is_none(),
        "no offline access, no refresh token"
    );
}

#[tokio::test]
async fn consent_deny_and_remembered_consent_and_prompt_none() {
    let t = spawn_app().await;
    // Login sessions on an http:// issuer are opt-in (`serve --sso`); this test is about them.
    t.app.set_sso_over_http(true);
    let c = t.confidential().await;
    t.user("ada").await;
    let b = browser();
    let url = t.auth_url(&[
        ("client_id", &c.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "x&y=z"),
    ]);

    // prompt=none before login
    let none = t.auth_url(&[
        ("client_id", &c.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "n"),
        ("prompt", "none"),
    ]);
    let r = b.get(&none).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let p = redirect_params(&r);
    assert_eq!(p["error"], "login_required");
    assert_eq!(p["state"], "n");

    // log in, then deny
    let html = b.get(&url).send().await.unwrap().text().await.unwrap();
    let consent = b
        .post(t.url("/login"))
        .form(&[
            ("interaction", hidden(&html, "interaction")),
            ("csrf_token", hidden(&html, "csrf_token")),
            ("username", "ada".into()),
            ("password", PASSWORD.into()),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        consent.contains("Budget &lt;b&gt;Pal&lt;/b&gt;"),
        "app name escaped on the consent page"
    );
    let r = b
        .post(t.url("/consent"))
        .form(&[
            ("interaction", hidden(&consent, "interaction")),
            ("csrf_token", hidden(&consent, "csrf_token")),
            ("decision", "deny".into()),
        ])
        .send()
        .await
        .unwrap();
    let p = redirect_params(&r);
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "x&y=z", "state echoed byte for byte");
    assert!(p.get("code").is_none());

    // logged in but no consent yet: prompt=none → consent_required
    let p = redirect_params(&b.get(&none).send().await.unwrap());
    assert_eq!(p["error"], "consent_required");

    // approve once; afterwards prompt=none succeeds silently
    let html = b.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("value=\"approve\""),
        "session remembered: straight to consent"
    );
    let r = b
        .post(t.url("/consent"))
        .form(&[
            ("interaction", hidden(&html, "interaction")),
            ("csrf_token", hidden(&html, "csrf_token")),
            ("decision", "approve".into()),
        ])
        .send()
        .await
        .unwrap();
    assert!(redirect_params(&r).contains_key("code"));
    let p = redirect_params(&b.get(&none).send().await.unwrap());
    assert!(p.contains_key("code"), "{p:?}");
    assert_eq!(p["iss"], t.issuer.as_str());

    // prompt=login shows the login page again despite the session
    let login = t.auth_url(&[
        ("client_id", &c.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("prompt", "login"),
    ]);
    let html = b.get(&login).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("name=\"password\""));
}

#[tokio::test]
async fn login_and_consent_forms_are_csrf_protected() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let b = browser();
    let url = t.auth_url(&[
        ("client_id", &c.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
    ]);
    let resp = b.get(&url).send().await.unwrap();
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = resp.text().await.unwrap();
    let login = |b: reqwest::Client, csrf: String| {
        let interaction = hidden(&html, "interaction");
        let u = t.url("/login");
        async move {
            b.post(u)
                .form(&[
                    ("interaction", interaction),
                    ("csrf_token", csrf),
                    ("username", "ada".into()),
                    ("password", PASSWORD.into()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // wrong token
    let r = login(b.clone(), "forged".into()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // right token from another browser (no interaction cookie)
    let r = login(browser(), hidden(&html, "csrf_token")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // wrong password: the form again with an error, no session
    let r = b
        .post(t.url("/login"))
        .form(&[
            ("interaction", hidden(&html, "interaction")),
            ("csrf_token", hidden(&html, "csrf_token")),
            ("username", "ada".into()),
            ("password", "nope".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("wrong"));
    // the genuine post still works
    let r = login(b.clone(), hidden(&html, "csrf_token")).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_introspection_and_revocation() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let (status, body) = t
        .token(
            &c,
            &[("grant_type", "client_credentials"), ("scope", "accounts")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let at = s(&body, "access_token").to_string();
    let cl = claims(&at);
    assert_eq!(
        cl["sub"],
        c.id.as_str(),
        "client credentials: sub is the client id"
    );
    assert_eq!(cl["scope"], "accounts");
    assert!(body.get("refresh_token").is_none());

    let introspect = |token: String| {
        let (id, secret, u) = (c.id.clone(), c.secret.clone(), t.url("/introspect"));
        async move {
            let r = reqwest::Client::new()
                .post(u)
                .basic_auth(id, secret)
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()["cache-control"], "no-store");
            r.json::<Value>().await.unwrap()
        }
    };
    let i = introspect(at.clone()).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], c.id.as_str());
    assert_eq!(i["scope"], "accounts");

    let anon = reqwest::Client::new()
        .post(t.url("/introspect"))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        anon.status(),
        StatusCode::UNAUTHORIZED,
        "introspection needs an authenticated caller"
    );

    let r = reqwest::Client::new()
        .post(t.url("/revoke"))
        .basic_auth(&c.id, c.secret.as_ref())
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(introspect(at.clone()).await["active"], false);
    // unknown tokens are a quiet success (RFC 7009 §2.2)
    let r = reqwest::Client::new()
        .post(t.url("/revoke"))
        .basic_auth(&c.id, c.secret.as_ref())
        .form(&[("token", "nonsense")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn revoking_a_refresh_token_kills_the_grant_and_its_access_tokens() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let body = t.code_flow(&c, "ada", "openid offline_access").await;
    let (rt, at) = (
        s(&body, "refresh_token").to_string(),
        s(&body, "access_token").to_string(),
    );
    let ui = |tok: String| {
        let u = t.url("/userinfo");
        async move {
            reqwest::Client::new()
                .get(u)
                .bearer_auth(tok)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(ui(at.clone()).await.status(), StatusCode::OK);
    let r = reqwest::Client::new()
        .post(t.url("/revoke"))
        .basic_auth(&c.id, c.secret.as_ref())
        .form(&[("token", rt.as_str()), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = ui(at).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let (status, e) = t
        .token(
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_eq!(
        (status, s(&e, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
}

/// A second `Authdesk` on the same data directory stands in for the CLI process (the CLI test
/// in the server crate does the same with the real binary). A revocation is seen by the next
/// request (grants are read on every use); apps are cached on the request path, so an app
/// change and a clock move are seen within one second, as SPEC §5 promises.
#[tokio::test]
async fn changes_by_another_process_take_effect_within_a_second() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let body = t.code_flow(&c, "ada", "openid offline_access").await;
    let rt = s(&body, "refresh_token").to_string();
    let other = t.open_again().await;

    // revoke the grant elsewhere: the running server refuses the refresh on the next request
    let grants = other
        .grant_list(
            Some(&authdesk_store::grants::GrantSelector::App(c.id.clone())),
            Default::default(),
        )
        .await
        .unwrap();
    other
        .grant_revoke(
            &authdesk_store::grants::GrantSelector::Grant(grants[0].grant_id.clone()),
            &actor(),
            "support ticket 7",
        )
        .await
        .unwrap();
    let (status, e) = t
        .token(
            &c,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_eq!(
        (status, s(&e, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );

    // disable the app elsewhere: no more tokens within one second
    other
        .client_set_enabled(&c.id, false, &actor())
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let (status, e) = t.token(&c, &[("grant_type", "client_credentials")]).await;
        if status == StatusCode::UNAUTHORIZED {
            assert_eq!(s(&e, "error"), "invalid_client");
            break;
        }
        assert_eq!(status, StatusCode::OK, "{e}");
        assert!(
            std::time::Instant::now() < deadline,
            "a disabled app still got tokens after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // move the clock elsewhere: the server sees it within one sync interval
    other
        .clock_advance(chrono::Duration::days(30), &actor())
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while t.app.clock_offset() != chrono::Duration::days(30) {
        assert!(
            std::time::Instant::now() < deadline,
            "clock change not seen within 1 s"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn public_client_flow_requires_pkce() {
    let t = spawn_app().await;
    let c = t.public().await;
    t.user("ada").await;
    let url = t.auth_url(&[
        ("client_id", &c.id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "q"),
    ]);
    let p = redirect_params(&browser().get(&url).send().await.unwrap());
    assert_eq!(p["error"], "invalid_request");
    let body = t.code_flow(&c, "ada", "openid offline_access").await;
    assert!(body["refresh_token"].is_string());
}

#[tokio::test]
async fn client_credentials_only_app_and_scope_rules() {
    let t = spawn_app().await;
    let c = t
        .client(ClientDraft {
            name: "Batch job".into(),
            auth_method: Some(AuthMethod::ClientSecretPost),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["accounts".into(), "transfers".into()],
            ..Default::default()
        })
        .await;
    let post = |form: Vec<(&'static str, String)>| {
        let u = t.url("/token");
        async move {
            let r = reqwest::Client::new()
                .post(u)
                .form(&form)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let base = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", c.id.clone()),
        ("client_secret", c.secret.clone().unwrap()),
    ];
    let (status, body) = post(base.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["scope"], "accounts transfers",
        "no scope asked: all the app's scopes"
    );
    let mut narrow = base.clone();
    narrow.push(("scope", "transfers".into()));
    assert_eq!(post(narrow).await.1["scope"], "transfers");
    let mut wide = base.clone();
    wide.push(("scope", "admin".into()));
    assert_eq!(post(wide).await.1["error"], "invalid_scope");
}

#[tokio::test]
async fn audit_log_records_admin_actions_and_token_events() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let body = t.code_flow(&c, "ada", "openid offline_access").await;
    let (_, _) = t
        .token(
            &Registered {
                id: c.id.clone(),
                secret: Some("wrong".into()),
            },
            &[("grant_type", "client_credentials")],
        )
        .await;
    t.token(
        &c,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", s(&body, "refresh_token")),
        ],
    )
    .await;
    t.app
        .grant_revoke(
            &authdesk_store::grants::GrantSelector::App(c.id.clone()),
            &actor(),
            "offboarding",
        )
        .await
        .unwrap();
    let events = t
        .app
        .audit_list(&Default::default(), Default::default(), 1000)
        .await
        .unwrap()
        .rows;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "grant.revoke",
            "token.refresh",
            "client.auth_failed",
            "token.issue",
            "user.create",
            "client.create"
        ],
        "newest first"
    );
    let all = serde_json::to_string(&events).unwrap();
    assert!(
        !all.contains(s(&body, "refresh_token")) && !all.contains(c.secret.as_deref().unwrap()),
        "no secret in the audit log"
    );
    assert_eq!(
        t.app
            .audit_list(
                &by_action(AuditAction::TokenIssue),
                Default::default(),
                1000
            )
            .await
            .unwrap()
            .rows
            .len(),
        1
    );
}

#[tokio::test]
async fn sandbox_explains_tokens_and_why_they_are_rejected() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let body = t.code_flow(&c, "ada", "openid offline_access").await;
    let (at, rt, id) = (
        s(&body, "access_token"),
        s(&body, "refresh_token"),
        s(&body, "id_token"),
    );

    let e = t.app.token_explain(at, None).await.unwrap();
    assert_eq!(
        (e.kind.as_str(), e.accepted),
        ("access_token", true),
        "{e:?}"
    );
    assert!(
        e.findings
            .iter()
            .any(|f| f.starts_with("signature valid: RS256"))
    );
    assert_eq!(
        t.app.token_explain(id, None).await.unwrap().kind,
        "id_token"
    );
    let r = t.app.token_explain(rt, None).await.unwrap();
    assert_eq!((r.kind.as_str(), r.accepted), ("refresh_token", true));

    t.app
        .grant_revoke(
            &authdesk_store::grants::GrantSelector::App(c.id.clone()),
            &actor(),
            "ticket 9",
        )
        .await
        .unwrap();
    let e = t.app.token_explain(at, None).await.unwrap();
    assert!(!e.accepted);
    assert!(e.verdict.contains("grant was revoked"), "{}", e.verdict);
    let r = t.app.token_explain(rt, None).await.unwrap();
    assert!(
        !r.accepted && r.verdict.contains("ticket 9"),
        "{}",
        r.verdict
    );

    t.advance(chrono::Duration::minutes(11)).await;
    assert!(
        t.app
            .token_explain(at, None)
            .await
            .unwrap()
            .verdict
            .contains("expired")
    );
    let tampered = format!("{}x", &at[..at.len() - 1]);
    assert!(
        t.app
            .token_explain(&tampered, None)
            .await
            .unwrap()
            .verdict
            .contains("signature does not verify")
    );
    assert_eq!(
        t.app.token_explain("garbage", None).await.unwrap().kind,
        "unknown"
    );
}
