//! The console's home: counts of what there is, what ends within 7 and 30 days by the sandbox
//! clock, and the last week's revocations, reuse detections and failed client authentications.

use authdesk_server::api::console::{EndingWhat, GrantEnding, GrantQuery};
use chrono::Duration;
use reqwest::StatusCode;
use tests::*;

/// A new registry's start page: each step done or not, the last one once any token exists.
#[tokio::test]
async fn the_first_run_steps_follow_what_was_done() {
    let t = spawn_app().await;
    let o = t.app.overview().await.unwrap();
    assert_eq!((o.apps, o.users, o.tokens_issued), (0, 0, false));
    let app = t.confidential().await;
    let o = t.app.overview().await.unwrap();
    assert_eq!((o.apps, o.users, o.tokens_issued), (1, 0, false));
    // A client-credentials token (no grant, no person) is a flow run.
    assert_eq!(
        t.token(&app, &[("grant_type", "client_credentials")])
            .await
            .0,
        StatusCode::OK
    );
    assert!(t.app.overview().await.unwrap().tokens_issued);
}

#[tokio::test]
async fn the_home_counts_follow_the_store_and_the_clock() {
    let t = spawn_app().await;
    let app = t.confidential().await;
    let other = t.confidential().await;
    t.app
        .client_set_enabled(&other.id, false, &actor())
        .await
        .unwrap();
    t.user("ada").await;
    t.user("bob").await;
    let kept = t.code_flow(&app, "ada", "openid offline_access").await;
    let revoked = t.code_flow(&app, "bob", "openid offline_access").await;
    let gone = t
        .app
        .grant_find_by_token(revoked["refresh_token"].as_str().unwrap())
        .await
        .unwrap();
    t.app
        .grant_revoke(
            &authdesk_store::grants::GrantSelector::Grant(gone.grant.grant_id),
            &actor(),
            "lost phone",
        )
        .await
        .unwrap();
    // A failed client authentication.
    let wrong = Registered {
        id: app.id.clone(),
        secret: Some("wrong".into()),
    };
    assert_eq!(
        t.token(&wrong, &[("grant_type", "client_credentials")])
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let o = t.app.overview().await.unwrap();
    assert_eq!(
        (o.apps, o.apps_disabled, o.users, o.active_grants),
        (2, 1, 2, 1)
    );
    // The app list says how each app is used: ada's grant is live (bob's revoked), the other
    // app has none.
    let listed = t
        .app
        .client_list_with_use("", Default::default())
        .await
        .unwrap();
    let used = |id: &str| {
        let a = listed.iter().find(|a| a.app.client_id == id).unwrap();
        (a.live_grants, a.last_grant_at.is_some())
    };
    assert_eq!((used(&app.id), used(&other.id)), ((1, true), (0, false)));
    assert_eq!(
        (o.revocations, o.reuse_detections, o.failed_client_auths),
        (1, 0, 1)
    );
    // Nothing ends within 30 days: the refresh token lives 90.
    assert_eq!(
        (o.refresh_tokens_ending_7d, o.refresh_tokens_ending_30d),
        (0, 0)
    );

    // 85 days on: ada's refresh token ends within 7 days; the week's events are behind.
    t.advance(Duration::days(85)).await;
    let o = t.app.overview().await.unwrap();
    assert_eq!(
        (o.refresh_tokens_ending_7d, o.refresh_tokens_ending_30d),
        (1, 1)
    );
    // The number opens the grants behind it: ada's, and not bob's revoked one.
    let behind = |what, days: i64| GrantQuery {
        ending: Some(GrantEnding {
            what,
            from: o.now,
            to: o.now + days * 86_400,
        }),
        limit: 50,
        ..Default::default()
    };
    let listed = t
        .app
        .grant_list_filtered(&behind(EndingWhat::RefreshToken, 7))
        .await
        .unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|g| g.username.as_deref())
            .collect::<Vec<_>>(),
        [Some("ada")]
    );
    assert!(
        t.app
            .grant_list_filtered(&behind(EndingWhat::Chain, 30))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!((o.revocations, o.failed_client_auths), (0, 0));
    // Refreshed, the chain goes on; 360 days after it began, its end is within 7 days.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", kept["refresh_token"].as_str().unwrap()),
    ];
    assert_eq!(t.token(&app, &form).await.0, StatusCode::OK);
    t.advance(Duration::days(275)).await;
    let o = t.app.overview().await.unwrap();
    assert_eq!((o.chains_ending_7d, o.chains_ending_30d), (1, 1));
    assert_eq!(o.active_grants, 1);
    t.advance(Duration::days(6)).await;
    assert_eq!(
        t.app.overview().await.unwrap().active_grants,
        0,
        "the chain ended"
    );
}
