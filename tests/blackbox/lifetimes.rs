//! Lifetimes by moving the sandbox clock, never by sleeping. The test servers' base time is
//! frozen, so every boundary below is exact to the second.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;
use tests::*;

async fn refresh(t: &TestApp, c: &Registered, rt: &str) -> (StatusCode, Value) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    if c.secret.is_none() {
        form.push(("client_id", &c.id));
    }
    t.token(c, &form).await
}

async fn userinfo(t: &TestApp, at: &str) -> StatusCode {
    reqwest::Client::new()
        .get(t.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn access_token_lives_ten_minutes() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let body = t.code_flow(&c, "ada", "openid").await;
    let at = s(&body, "access_token");
    t.advance(Duration::seconds(599)).await;
    assert_eq!(userinfo(&t, at).await, StatusCode::OK, "valid at 9:59");
    t.advance(Duration::seconds(2)).await;
    assert_eq!(
        userinfo(&t, at).await,
        StatusCode::UNAUTHORIZED,
        "rejected at 10:01"
    );
    let i: Value = reqwest::Client::new()
        .post(t.url("/introspect"))
        .basic_auth(&c.id, c.secret.as_ref())
        .form(&[("token", at)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(i["active"], false);
}

#[tokio::test]
async fn refresh_token_unused_for_90_days_fails() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let a = t.code_flow(&c, "ada", "openid offline_access").await;
    let b = t.code_flow(&c, "ada", "openid offline_access").await;
    t.advance(Duration::days(90) - Duration::seconds(1)).await;
    let (status, _) = refresh(&t, &c, s(&a, "refresh_token")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "still valid one second before 90 days"
    );
    t.advance(Duration::seconds(2)).await;
    let (status, e) = refresh(&t, &c, s(&b, "refresh_token")).await;
    assert_eq!(
        (status, s(&e, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant"),
        "90 days + 1 s"
    );
    assert!(s(&e, "error_description").contains("expired"));
    // Grant a was refreshed (its new token lives on); grant b's only token expired unused.
    let b_grant = t
        .app
        .grant_find_by_token(s(&b, "refresh_token"))
        .await
        .unwrap();
    let why = b_grant.grant.why.expect("an expired grant says why");
    assert!(why.contains("expired unused"), "{why}");
    let a_grant = t
        .app
        .grant_find_by_token(s(&a, "refresh_token"))
        .await
        .unwrap();
    assert_eq!(a_grant.grant.why, None, "a refreshed grant is live");
}

#[tokio::test]
async fn chain_refreshed_every_80_days_ends_exactly_one_year_after_its_first_token() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let mut rt = s(
        &t.code_flow(&c, "ada", "openid offline_access").await,
        "refresh_token",
    )
    .to_string();
    for _ in 0..4 {
        t.advance(Duration::days(80)).await; // days 80, 160, 240, 320
        let (status, body) = refresh(&t, &c, &rt).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        rt = s(&body, "refresh_token").to_string();
    }
    // day 365 minus one second: the token from day 320 still works
    t.advance(Duration::days(45) - Duration::seconds(1)).await;
    let (status, body) = refresh(&t, &c, &rt).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let last = s(&body, "refresh_token").to_string();
    // exactly one year: nothing in the chain works any more, however young the token
    t.advance(Duration::seconds(1)).await;
    for token in [&rt, &last] {
        let (status, e) = refresh(&t, &c, token).await;
        assert_eq!(
            (status, s(&e, "error")),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );
        assert!(s(&e, "error_description").contains("one-year"), "{e}");
    }
    // the tree shows the cap as every token's effective expiry
    let grants = t
        .app
        .grant_list(
            Some(&authdesk_store::grants::GrantSelector::App(c.id.clone())),
            Default::default(),
        )
        .await
        .unwrap();
    // Named for people: the user's username and the app's name, in the list and the detail.
    assert_eq!(grants[0].username.as_deref(), Some("ada"));
    assert_eq!(grants[0].client_name.as_deref(), Some("Budget <b>Pal</b>"));
    let detail = t.app.grant_show(&grants[0].grant_id).await.unwrap();
    assert_eq!(detail.grant.username.as_deref(), Some("ada"));
    let first = &detail.refresh_tokens[0];
    assert_eq!(
        detail.grant.chain_ends_at.unwrap() - first.issued_at,
        Duration::days(365)
    );
    assert!(!detail.grant.active);
    let why = detail.grant.why.expect("an ended grant says why");
    assert!(why.contains("one-year end"), "{why}");
}

#[tokio::test]
async fn confidential_client_old_refresh_token_keeps_working_and_forms_a_tree() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let rt1 = s(
        &t.code_flow(&c, "ada", "openid offline_access").await,
        "refresh_token",
    )
    .to_string();
    t.advance(Duration::days(1)).await;
    let (status, body) = refresh(&t, &c, &rt1).await;
    assert_eq!(status, StatusCode::OK);
    let rt2 = s(&body, "refresh_token").to_string();
    t.advance(Duration::days(1)).await;
    let (status, _) = refresh(&t, &c, &rt1).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the old token is not invalidated by the newer one"
    );
    let (status, _) = refresh(&t, &c, &rt2).await;
    assert_eq!(status, StatusCode::OK);

    let detail = t.app.grant_find_by_token(&rt1).await.unwrap();
    assert_eq!(detail.refresh_tokens.len(), 1, "one root");
    let root = &detail.refresh_tokens[0];
    assert_eq!(root.children.len(), 2, "used twice: two children");
    assert_eq!(root.use_count, 2);
    assert_eq!(root.children[0].children.len(), 1, "rt2 has its own child");
    assert_eq!(root.expires_at - root.issued_at, Duration::days(90));
    assert_eq!(detail.access_tokens.len(), 4);
}

#[tokio::test]
async fn public_client_reused_refresh_token_revokes_the_grant() {
    let t = spawn_app().await;
    let c = t.public().await;
    t.user("ada").await;
    let rt1 = s(
        &t.code_flow(&c, "ada", "openid offline_access").await,
        "refresh_token",
    )
    .to_string();
    let (status, body) = refresh(&t, &c, &rt1).await;
    assert_eq!(status, StatusCode::OK);
    let rt2 = s(&body, "refresh_token").to_string();

    // a retry within the grace window fails but does not revoke
    let (status, e) = refresh(&t, &c, &rt1).await;
    assert_eq!(
        (status, s(&e, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    t.advance(Duration::seconds(10)).await;
    // a reuse after it is theft: the whole grant dies, including the newest token
    let (status, e) = refresh(&t, &c, &rt1).await;
    assert_eq!(
        (status, s(&e, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    assert!(s(&e, "error_description").contains("revoked"));
    let (status, _) = refresh(&t, &c, &rt2).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let detail = t.app.grant_find_by_token(&rt2).await.unwrap();
    assert!(detail.grant.revoked_at.is_some());
    assert_eq!(detail.grant.revoked_by.as_deref(), Some("system"));
    let why = detail.grant.why.expect("a revoked grant says why");
    assert!(
        why.contains("by system: refresh token reused (possible theft)"),
        "{why}"
    );
    // The grant list says the same on its row.
    let listed = t
        .app
        .grant_list(
            Some(&authdesk_store::grants::GrantSelector::Grant(
                detail.grant.grant_id.clone(),
            )),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed[0].why.as_deref(), Some(why.as_str()));
}

#[tokio::test]
async fn authorization_code_expires_after_sixty_seconds() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let (code, verifier) = t.code(&c, "ada", "openid").await;
    t.advance(Duration::seconds(60)).await;
    let (status, e) = t
        .token(
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(
        (status, s(&e, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
}

#[tokio::test]
async fn an_app_may_shorten_lifetimes() {
    use authdesk_core::client::ClientDraft;
    use authdesk_core::lifetime::LifetimeOverrides;
    let t = spawn_app().await;
    let c = t
        .client(ClientDraft {
            name: "Short".into(),
            redirect_uris: vec![REDIRECT.into()],
            consent_required: Some(false),
            lifetimes: LifetimeOverrides {
                access_token: Some(300),
                refresh_token: Some(7 * 86_400),
                ..Default::default()
            },
            ..Default::default()
        })
        .await;
    t.user("ada").await;
    let body = t.code_flow(&c, "ada", "openid offline_access").await;
    assert_eq!(body["expires_in"], 300);
    t.advance(Duration::days(7)).await;
    let (status, _) = refresh(&t, &c, s(&body, "refresh_token")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the app's 7-day refresh lifetime applies"
    );
    let longer = t
        .app
        .client_create(
            &ClientDraft {
                name: "Long".into(),
                redirect_uris: vec![REDIRECT.into()],
                lifetimes: LifetimeOverrides {
                    access_token: Some(3600),
                    ..Default::default()
                },
                ..Default::default()
            },
            &actor(),
        )
        .await;
    assert_eq!(longer.expect_err("cannot lengthen").code(), "invalid_input");
}
