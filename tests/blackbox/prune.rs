//! Storage stays flat: after a year and the retention period, a prune pass leaves exactly the
//! rows there were before any token was issued. Moved by the sandbox clock, never by sleeping;
//! checked on the way that nothing is pruned while it can still matter.

use crate::client_auth::{assertion, cc_with_assertion, ec_with_pem, register};
use authdesk_server::api::prune::{DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_CHAIN_RETENTION_DAYS};
use chrono::{Duration, TimeZone};
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::sync::Arc;
use tests::*;

async fn counts(t: &TestApp) -> BTreeMap<&'static str, i64> {
    let mut c = t.app.store().read().await.unwrap();
    authdesk_store::prune::counts(&mut c)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// A pruning pass over everything written so far: the audit is pruned in chain order, so the
/// events written just before are sealed first (PostgreSQL seals within milliseconds, off the
/// request path; a test prunes right after writing).
async fn prune(t: &TestApp) {
    t.sealed().await;
    t.app.prune().await.expect("prune");
}

async fn introspect(t: &TestApp, c: &Registered, token: &str) -> bool {
    let r = reqwest::Client::new()
        .post(t.url("/introspect"))
        .basic_auth(&c.id, c.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<serde_json::Value>().await.unwrap()["active"] == true
}

#[tokio::test]
async fn after_a_year_and_the_retention_period_storage_is_back_to_its_baseline() {
    // Its own base clock: assertions' `jti`s expire on the clients' clock, which a move of
    // the sandbox clock does not move.
    let base = Arc::new(authdesk_core::clock::FixedClock::at(
        chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let t = spawn_app_with_clock(base.clone()).await;
    // Sessions exist only with single sign-on, which an http:// issuer has on request.
    t.app.set_sso_over_http(true);
    let conf = t.confidential().await;
    let public = t.public().await;
    t.user("ada").await;
    let key = ec_with_pem();
    let signed = register(&t, &key).await;
    let before = counts(&t).await;

    // Everything that leaves rows: chains (confidential tree, public rotation and reuse), a
    // grant without a chain, a revoked grant, a replayed and an unused code, an abandoned
    // login page, client-credentials tokens with a secret and with private_key_jwt.
    let live = t.code_flow(&conf, "ada", "openid offline_access").await;
    let (status, child) = t
        .token(
            &conf,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", s(&live, "refresh_token")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{child}");
    let rotating = t.code_flow(&public, "ada", "openid offline_access").await;
    let form = |rt: &str| {
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", rt.to_string()),
            ("client_id", public.id.clone()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let url = t.url("/token");
        async move {
            reqwest::Client::new()
                .post(url)
                .form(&f)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        post(form(s(&rotating, "refresh_token"))).await,
        StatusCode::OK
    );
    let no_chain = t.code_flow(&conf, "ada", "openid").await;
    assert!(no_chain.get("refresh_token").is_none());
    let revoked = t.code_flow(&conf, "ada", "offline_access").await;
    let r = reqwest::Client::new()
        .post(t.url("/revoke"))
        .basic_auth(&conf.id, conf.secret.as_deref())
        .form(&[("token", s(&revoked, "refresh_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (code, verifier) = t.code(&conf, "ada", "openid").await;
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    assert_eq!(t.token(&conf, &exchange).await.0, StatusCode::OK);
    assert_eq!(
        t.token(&conf, &exchange).await.0,
        StatusCode::BAD_REQUEST,
        "replay"
    );
    let _unused = t.code(&conf, "ada", "openid").await;
    let abandoned = browser()
        .get(t.auth_url(&[
            ("client_id", &conf.id),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        abandoned.status(),
        StatusCode::OK,
        "a login page nobody fills in"
    );
    let (status, cc) = t
        .token(
            &conf,
            &[("grant_type", "client_credentials"), ("scope", "accounts")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cc}");
    let now = t.app.now().timestamp();
    let a = assertion(&key, &signed, &t.url("/token"), 300, "jti-1", now);
    assert_eq!(cc_with_assertion(&t, &signed, &a).await.0, StatusCode::OK);

    let issued = counts(&t).await;
    for table in [
        "grants",
        "refresh_tokens",
        "access_tokens",
        "authorization_codes",
        "interactions",
        "sessions",
        "client_assertions",
    ] {
        assert!(
            issued[table] > before[table],
            "{table}: {before:?} -> {issued:?}"
        );
    }

    // Now: nothing that still matters goes.
    prune(&t).await;
    assert_eq!(
        counts(&t).await,
        issued,
        "a prune pass right away deletes nothing"
    );
    assert!(introspect(&t, &conf, s(&cc, "access_token")).await);

    // 11 minutes (of everyone's time): client-credentials tokens, interactions and
    // assertions have expired.
    base.advance(Duration::minutes(11));
    prune(&t).await;
    let c = counts(&t).await;
    assert_eq!(
        c["access_tokens"],
        issued["access_tokens"] - 2,
        "the two cc tokens"
    );
    assert_eq!(c["interactions"], 0);
    assert_eq!(c["client_assertions"], 0);
    assert_eq!(
        c["grants"], issued["grants"],
        "every grant is kept for its retention"
    );
    let (status, body) = t
        .token(
            &conf,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", s(&child, "refresh_token")),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a live chain still refreshes: {body}"
    );

    // 91 days: the revoked grant, the grants without a chain, codes and sessions are past
    // their retention; the live chains are kept until their one-year end.
    t.advance(Duration::days(DEFAULT_CHAIN_RETENTION_DAYS + 1))
        .await;
    prune(&t).await;
    let c = counts(&t).await;
    assert_eq!(
        c["grants"],
        before["grants"] + 2,
        "the confidential and the public chain"
    );
    assert_eq!(c["authorization_codes"], 0);
    assert_eq!(c["sessions"], 0);
    assert!(c["refresh_tokens"] > 0);

    // A year and the retention after the chains started: back to the baseline. The audit
    // keeps only what happened within its own retention (here: the clock moves).
    t.advance(Duration::days(365 + DEFAULT_AUDIT_RETENTION_DAYS))
        .await;
    prune(&t).await;
    let after = counts(&t).await;
    for (table, n) in &before {
        if *table != "audit" {
            assert_eq!(after[table], *n, "{table}: {before:?} -> {after:?}");
        }
    }
    let mut conn = t.app.store().read().await.unwrap();
    let oldest: i64 = authdesk_store::on!(&mut *conn, "SELECT MIN(at) FROM audit", |db, sql| {
        sqlx::query_scalar(sql).fetch_one(&mut *db).await
    })
    .unwrap();
    assert!(
        oldest >= t.app.now().timestamp() - DEFAULT_AUDIT_RETENTION_DAYS * 86_400,
        "no audit event older than the audit retention"
    );
    assert!(after["audit"] < issued["audit"]);
}

#[tokio::test]
async fn retention_is_a_setting_and_pruning_follows_it() {
    let t = spawn_app().await;
    let conf = t.confidential().await;
    t.user("ada").await;
    t.code_flow(&conf, "ada", "openid").await;
    let r = t
        .app
        .set_retention(Some(Duration::days(2)), Some(Duration::days(3)), &actor())
        .await
        .unwrap();
    assert_eq!(
        (r.chains_seconds, r.audit_seconds),
        (2 * 86_400, 3 * 86_400)
    );
    assert!(
        t.app
            .set_retention(Some(Duration::hours(1)), None, &actor())
            .await
            .is_err(),
        "less than a day is refused"
    );
    t.advance(Duration::days(1)).await;
    prune(&t).await;
    assert_eq!(counts(&t).await["grants"], 1, "within the two days");
    t.advance(Duration::days(2)).await;
    prune(&t).await;
    assert_eq!(counts(&t).await["grants"], 0, "past the two days");
}
