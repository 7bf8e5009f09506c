//! What revocation ends besides tokens: the person's login sessions and their approvals, so an
//! app cannot get a fresh grant with `prompt=none` right after support revoked its grants
//! (issue 21, finding 4).

use authdesk_store::grants::GrantSelector;
use reqwest::StatusCode;
use serde_json::{Map, Value};
use tests::*;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn url(t: &TestApp, c: &Registered, prompt: Option<&str>) -> String {
    let mut params = vec![
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid offline_access"),
        ("state", "s"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    if let Some(p) = prompt {
        params.push(("prompt", p));
    }
    t.auth_url(&params)
}

/// A silent request (`prompt=none`) from the browser: the redirect's parameters.
async fn silently(t: &TestApp, b: &reqwest::Client, c: &Registered) -> Map<String, Value> {
    let resp = b.get(url(t, c, Some("none"))).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "prompt=none redirects"
    );
    redirect_params(&resp)
}

/// Signs in on a fresh login page and returns the page that follows (consent, or a redirect).
async fn sign_in(t: &TestApp, b: &reqwest::Client, c: &Registered) -> reqwest::Response {
    let html = b
        .get(url(t, c, None))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"username\""), "a login page: {html}");
    b.post(t.form_action(&html))
        .form(&[
            ("interaction", hidden(&html, "interaction").as_str()),
            ("csrf_token", hidden(&html, "csrf_token").as_str()),
            ("username", "ada"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

async fn with_sso() -> (TestApp, Registered, String, reqwest::Client) {
    let t = spawn_app().await;
    t.app.set_sso_over_http(true);
    let c = t.confidential().await;
    let sub = t.user("ada").await;
    let b = browser();
    // Login and consent through the pages: the browser holds a session, the app an approval.
    let params = t.authorize(&b, &url(&t, &c, None), "ada").await;
    assert!(params.contains_key("code"), "{params:?}");
    let again = silently(&t, &b, &c).await;
    assert!(
        again.contains_key("code"),
        "single sign-on works: {again:?}"
    );
    (t, c, sub, b)
}

#[tokio::test]
async fn revoking_a_persons_grants_ends_their_sessions_and_approvals() {
    let (t, c, sub, b) = with_sso().await;
    let selector = GrantSelector::User {
        sub: sub.clone(),
        client_id: None,
    };
    t.app
        .grant_revoke(&selector, &actor(), "lost phone")
        .await
        .unwrap();
    // The same browser no longer gets a code without the person.
    assert_eq!(silently(&t, &b, &c).await["error"], "login_required");
    // Signing in again asks for the approval again.
    let resp = sign_in(&t, &b, &c).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("value=\"approve\""));
    // The audit says what ended.
    let events = t
        .app
        .audit_list(
            &by_action(authdesk_server::api::audit::AuditAction::GrantRevoke),
            Default::default(),
            10,
        )
        .await
        .unwrap()
        .rows;
    let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
    assert_eq!(detail["sessions_ended"], 1, "{detail}");
    assert_eq!(detail["consents_forgotten"], 1, "{detail}");
}

#[tokio::test]
async fn revoking_one_apps_grants_for_a_person_ends_their_sessions_too() {
    let (t, c, sub, b) = with_sso().await;
    let selector = GrantSelector::User {
        sub,
        client_id: Some(c.id.clone()),
    };
    t.app.grant_revoke(&selector, &actor(), "").await.unwrap();
    assert_eq!(silently(&t, &b, &c).await["error"], "login_required");
}

#[tokio::test]
async fn revoking_all_of_an_apps_grants_forgets_every_approval_of_it() {
    let (t, c, _, b) = with_sso().await;
    t.app
        .grant_revoke(&GrantSelector::App(c.id.clone()), &actor(), "compromised")
        .await
        .unwrap();
    // The person's session is theirs, not the app's: it stays, but the app must ask again.
    assert_eq!(silently(&t, &b, &c).await["error"], "consent_required");
}

#[tokio::test]
async fn signing_a_person_out_everywhere_ends_every_session_and_keeps_the_grants() {
    let (t, c, sub, b) = with_sso().await;
    let other = browser();
    t.authorize(&other, &url(&t, &c, None), "ada").await;
    assert_eq!(t.app.user_sign_out(&sub, &actor()).await.unwrap(), 2);
    assert_eq!(silently(&t, &b, &c).await["error"], "login_required");
    assert_eq!(silently(&t, &other, &c).await["error"], "login_required");
    // Signing in again needs no new approval: only the sessions ended.
    let resp = sign_in(&t, &b, &c).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(redirect_params(&resp).contains_key("code"));
    assert!(matches!(
        t.app.user_sign_out("nobody", &actor()).await,
        Err(authdesk_server::api::ApiError::NotFound(_))
    ));
}

#[tokio::test]
async fn deleting_a_person_ends_their_sessions() {
    let (t, c, sub, b) = with_sso().await;
    t.app.user_delete(&sub, &actor()).await.unwrap();
    assert_eq!(silently(&t, &b, &c).await["error"], "login_required");
}
