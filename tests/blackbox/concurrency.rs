//! Races decided by the database: many simultaneous uses of one public-client refresh token
//! or one code give exactly one success, no 500 and no "database is locked".

use reqwest::StatusCode;
use serde_json::Value;
use tests::*;

const RACERS: usize = 16;

async fn race(
    t: &TestApp,
    form: Vec<(String, String)>,
    basic: Option<(String, String)>,
) -> Vec<(StatusCode, Value)> {
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let (url, form, basic) = (t.url("/token"), form.clone(), basic.clone());
        tasks.push(tokio::spawn(async move {
            let mut r = reqwest::Client::new().post(url).form(&form);
            if let Some((id, secret)) = basic {
                r = r.basic_auth(id, Some(secret));
            }
            let resp = r.send().await.unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn tally(results: &[(StatusCode, Value)]) -> (usize, usize) {
    for (status, body) in results {
        assert!(
            status.is_success()
                || (*status == StatusCode::BAD_REQUEST && body["error"] == "invalid_grant"),
            "unexpected {status}: {body}"
        );
        assert!(!body.to_string().contains("locked"), "{body}");
    }
    let ok = results.iter().filter(|(s, _)| s.is_success()).count();
    (ok, results.len() - ok)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_refreshes_of_one_public_token() {
    let t = spawn_app().await;
    let c = t.public().await;
    t.user("ada").await;
    let rt = s(
        &t.code_flow(&c, "ada", "openid offline_access").await,
        "refresh_token",
    )
    .to_string();
    let form = vec![
        ("grant_type".into(), "refresh_token".into()),
        ("refresh_token".into(), rt.clone()),
        ("client_id".into(), c.id.clone()),
    ];
    let results = race(&t, form, None).await;
    assert_eq!(
        tally(&results),
        (1, RACERS - 1),
        "exactly one rotation wins"
    );
    // the losers were inside the grace window: the grant survives and the winner's token works
    let winner = results.iter().find(|(s, _)| s.is_success()).unwrap();
    let detail = t.app.grant_find_by_token(&rt).await.unwrap();
    assert!(detail.grant.revoked_at.is_none());
    assert_eq!(
        detail.refresh_tokens[0].children.len(),
        1,
        "one child, not sixteen"
    );
    let (status, _) = t
        .token(
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", s(&winner.1, "refresh_token")),
                ("client_id", &c.id),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_exchanges_of_one_code() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let (code, verifier) = t.code(&c, "ada", "openid offline_access").await;
    let form = vec![
        ("grant_type".into(), "authorization_code".into()),
        ("code".into(), code),
        ("redirect_uri".into(), REDIRECT.into()),
        ("code_verifier".into(), verifier),
    ];
    let results = race(&t, form, Some((c.id.clone(), c.secret.clone().unwrap()))).await;
    assert_eq!(
        tally(&results),
        (1, RACERS - 1),
        "exactly one exchange wins"
    );
    // the replays revoked the grant the winner got (RFC 6749 §4.1.2)
    let winner = results.iter().find(|(s, _)| s.is_success()).unwrap();
    let (status, _) = t
        .token(
            &c,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", s(&winner.1, "refresh_token")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_confidential_refreshes_all_succeed() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let rt = s(
        &t.code_flow(&c, "ada", "openid offline_access").await,
        "refresh_token",
    )
    .to_string();
    let form = vec![
        ("grant_type".into(), "refresh_token".into()),
        ("refresh_token".into(), rt.clone()),
    ];
    let results = race(&t, form, Some((c.id.clone(), c.secret.clone().unwrap()))).await;
    assert_eq!(
        tally(&results),
        (RACERS, 0),
        "confidential tokens are not consumed: every use succeeds"
    );
    let detail = t.app.grant_find_by_token(&rt).await.unwrap();
    assert_eq!(detail.refresh_tokens[0].children.len(), RACERS);
    assert_eq!(detail.refresh_tokens[0].use_count, RACERS as i64);
}
