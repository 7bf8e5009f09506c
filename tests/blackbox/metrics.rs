//! `serve --metrics-listen`: Prometheus metrics on a listener of their own. Requests of every
//! kind are counted where they were answered (tokens by grant type and client, OAuth errors by
//! endpoint and code, including errors sent back to a redirect URI, latency by endpoint), the
//! write queue is sampled when scraped, prune passes say what they deleted; nothing of it is on
//! the OAuth port, and no secret or token appears in it.

use authdesk_server::api::prune::DEFAULT_CHAIN_RETENTION_DAYS;
use chrono::Duration;
use reqwest::StatusCode;
use tests::*;

pub(crate) async fn scrape(t: &TestApp) -> String {
    let r = reqwest::get(&t.metrics_url).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        r.headers()
    );
    r.text().await.unwrap()
}

/// The value of the sample whose name and labels are exactly `series`.
pub(crate) fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.split(' ').next()?.parse().ok())
    })
}

#[tokio::test]
async fn metrics_count_what_was_answered_on_their_own_listener() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let other = t.confidential().await;
    for _ in 0..3 {
        let (status, _) = t
            .token(
                &c,
                &[("grant_type", "client_credentials"), ("scope", "accounts")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = t
        .token(&other, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(status, StatusCode::OK);
    t.user("ada").await;
    let tokens = t.code_flow(&c, "ada", "openid offline_access").await;
    let (status, _) = t
        .token(
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", s(&tokens, "refresh_token")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Refusals: a wrong secret twice, an unknown grant type, an error sent to the redirect URI.
    let wrong = Registered {
        id: c.id.clone(),
        secret: Some("not-the-secret".into()),
    };
    for _ in 0..2 {
        let (status, _) = t
            .token(&wrong, &[("grant_type", "client_credentials")])
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = t.token(&c, &[("grant_type", "password")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = browser()
        .get(t.auth_url(&[
            ("response_type", "token"),
            ("client_id", &c.id),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "s1"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let m = scrape(&t).await;
    let issued = |grant: &str, id: &str| {
        sample(
            &m,
            &format!("authdesk_tokens_issued_total{{grant_type=\"{grant}\",client_id=\"{id}\"}}"),
        )
    };
    assert_eq!(issued("client_credentials", &c.id), Some(3.0), "{m}");
    assert_eq!(issued("client_credentials", &other.id), Some(1.0));
    assert_eq!(issued("authorization_code", &c.id), Some(1.0));
    assert_eq!(issued("refresh_token", &c.id), Some(1.0));
    let errors = |endpoint: &str, code: &str| {
        sample(
            &m,
            &format!("authdesk_oauth_errors_total{{endpoint=\"{endpoint}\",error=\"{code}\"}}"),
        )
    };
    assert_eq!(errors("/token", "invalid_client"), Some(2.0), "{m}");
    assert_eq!(errors("/token", "unsupported_grant_type"), Some(1.0));
    assert_eq!(errors("/authorize", "unsupported_response_type"), Some(1.0));
    // Every /token request is timed: 4 + 1 exchange + 1 refresh + 3 refused.
    assert_eq!(
        sample(
            &m,
            "authdesk_http_request_duration_seconds_count{endpoint=\"/token\"}"
        ),
        Some(9.0),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "authdesk_http_responses_total{endpoint=\"/token\",status=\"401\"}"
        ),
        Some(2.0)
    );
    assert!(
        m.contains(
            "authdesk_http_request_duration_seconds_bucket{le=\"0.005\",endpoint=\"/token\"}"
        ) || m.contains(
            "authdesk_http_request_duration_seconds_bucket{endpoint=\"/token\",le=\"0.005\"}"
        ),
        "{m}"
    );
    assert_eq!(sample(&m, "authdesk_write_queue_depth"), Some(0.0));
    assert_eq!(
        sample(&m, "authdesk_write_queue_capacity"),
        Some(authdesk_store::Limits::default().queue as f64)
    );
    // Nothing secret: no client secret, no token.
    for secret in [
        c.secret.as_deref().unwrap(),
        s(&tokens, "refresh_token"),
        s(&tokens, "access_token"),
    ] {
        assert!(!m.contains(secret));
    }

    // Pruning: after the chains' retention, a pass deletes the client-credentials tokens.
    let passes = sample(&m, "authdesk_prune_passes_total").unwrap();
    t.advance(Duration::days(DEFAULT_CHAIN_RETENTION_DAYS + 2))
        .await;
    // The pass the server runs every few minutes (`http::prune_pass`).
    let report = authdesk_server::http::prune_pass(&t.app, &t.metrics)
        .await
        .unwrap();
    let deleted = report
        .deleted
        .iter()
        .find(|(k, _)| *k == "client-credentials access tokens")
        .map(|(_, n)| *n)
        .unwrap();
    assert_eq!(deleted, 4);
    let m = scrape(&t).await;
    assert_eq!(
        sample(&m, "authdesk_prune_passes_total"),
        Some(passes + 1.0)
    );
    assert_eq!(
        sample(
            &m,
            "authdesk_pruned_rows_total{kind=\"client_credentials_access_tokens\"}"
        ),
        Some(4.0),
        "{m}"
    );

    // Only /metrics there; no /metrics on the OAuth port.
    let base = t.metrics_url.trim_end_matches("/metrics");
    let r = reqwest::get(format!("{base}/token")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = reqwest::get(t.url("/metrics")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
