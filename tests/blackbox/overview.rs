//! The console's home: counts of what there is, what ends within 7 and 30 days by the sandbox
//! clock, and the last week's revocations, reuse detections and failed client authentications.

use chrono::Duration;
use reqwest::StatusCode;
use tests::*;

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
