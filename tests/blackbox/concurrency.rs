//! Races decided by the database: many simultaneous uses of one public-client refresh token
//! or one code give exactly one success, no 500 and no "database is locked".

use chrono::Duration;
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

/// A third connection holding a row lock that two units of work must take, on PostgreSQL (on
/// SQLite the writer runs units one at a time: nothing to hold). Released once both units wait
/// for a lock, so they overlap for certain.
struct Hold {
    conn: sqlx::PgConnection,
    url: String,
}

impl Hold {
    async fn lock(t: &TestApp, sql: &str, bind: &str) -> Option<Hold> {
        use sqlx::Connection;
        let authdesk_server::api::Database::Postgres(url) = &t.database else {
            return None;
        };
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query(sql)
            .bind(bind)
            .execute(&mut conn)
            .await
            .unwrap();
        Some(Hold {
            conn,
            url: url.clone(),
        })
    }

    /// Waits until `n` other sessions of this database wait for a lock, then lets them go.
    async fn release_when_waiting(mut self, n: i64) {
        use sqlx::Connection;
        let mut watch = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let mut waiting = 0;
        for _ in 0..500 {
            waiting = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut watch)
            .await
            .unwrap();
            if waiting >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(waiting, n, "both units wait behind the held lock");
        sqlx::query("COMMIT").execute(&mut self.conn).await.unwrap();
    }
}

/// Two rotations of one app's secret with an overlap, at once: whichever commits second keeps
/// the first one's secret as the previous one, so both secrets handed out work (on PostgreSQL
/// both read the row before either wrote it, and one rotation's secret was lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_rotations_of_one_secret_at_once_keep_both_new_secrets() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let hold = Hold::lock(&t, "SELECT 1 FROM clients WHERE id = $1 FOR UPDATE", &c.id).await;
    let rotate = || {
        let (app, id) = (t.app.clone(), c.id.clone());
        tokio::spawn(async move {
            app.client_rotate_secret(&id, Some(Duration::hours(24)), &actor())
                .await
                .unwrap()
                .client_secret
                .unwrap()
        })
    };
    let (a, b) = (rotate(), rotate());
    if let Some(hold) = hold {
        hold.release_when_waiting(2).await;
    }
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    for (secret, which) in [(a, "one rotation's"), (b, "the other's")] {
        let with = Registered {
            id: c.id.clone(),
            secret: Some(secret),
        };
        let (status, body) = t
            .token(&with, &[("grant_type", "client_credentials")])
            .await;
        assert_eq!(status, StatusCode::OK, "{which} secret works: {body}");
    }
    let (status, _) = t.token(&c, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the secret from before both rotations is two rotations old"
    );
}

/// Two rotations of the RS256 signing key at once end with one active RS256 key, the later
/// one (on PostgreSQL each retired the keys it saw, and neither saw the other's new key).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_key_rotations_at_once_leave_one_active_key() {
    let t = spawn_app().await;
    let hold = Hold::lock(
        &t,
        "SELECT 1 FROM signing_keys WHERE alg = $1 AND retired_at IS NULL FOR UPDATE",
        "RS256",
    )
    .await;
    let rotate = || {
        let app = t.app.clone();
        tokio::spawn(async move {
            app.key_rotate(authdesk_core::alg::Alg::RS256, false, &actor())
                .await
                .unwrap()
                .kid
        })
    };
    let (a, b) = (rotate(), rotate());
    if let Some(hold) = hold {
        hold.release_when_waiting(2).await;
    }
    let made = [a.await.unwrap(), b.await.unwrap()];
    let active: Vec<String> = t
        .app
        .key_list()
        .into_iter()
        .filter(|k| k.alg == authdesk_core::alg::Alg::RS256 && k.state == "active")
        .map(|k| k.kid)
        .collect();
    assert_eq!(active.len(), 1, "one active RS256 key: {active:?}");
    assert!(made.contains(&active[0]), "one of the two new keys");
}

/// A lock the test holds and every audited unit then waits for when it writes its audit event
/// (a trigger on `audit`, installed on this test's database): the event is a unit's last
/// write, so both units have read and decided by the time they wait on it (PostgreSQL).
/// Units no longer lock anything shared when they audit (the sealer chains events later), so
/// the test puts such a lock there itself.
async fn hold_the_commit(t: &TestApp) -> Option<Hold> {
    use sqlx::Connection;
    const AT_AUDIT: i64 = 0x7465_7374; // "test"
    let authdesk_server::api::Database::Postgres(url) = &t.database else {
        return None;
    };
    let mut setup = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(&format!(
        "CREATE FUNCTION test_wait_at_audit() RETURNS trigger AS $$
         BEGIN PERFORM pg_advisory_xact_lock({AT_AUDIT}); RETURN NEW; END $$ LANGUAGE plpgsql;
         CREATE TRIGGER test_wait_at_audit BEFORE INSERT ON audit
         FOR EACH ROW EXECUTE FUNCTION test_wait_at_audit();"
    ))
    .execute(&mut setup)
    .await
    .unwrap();
    let _ = setup.close().await;
    Hold::lock(
        t,
        "SELECT pg_advisory_xact_lock($1::bigint)",
        &AT_AUDIT.to_string(),
    )
    .await
}

/// Two admins demoting each other at once: one is refused, so an admin remains (each saw the
/// other still an admin and both went through, leaving none, when they did not decide on the
/// set of operators).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    use authdesk_core::roles::Role;
    let t = spawn_app().await;
    for name in ["alice", "bob"] {
        t.app
            .operator_add(name, "", Role::Admin, PASSWORD, &actor())
            .await
            .unwrap();
    }
    let hold = hold_the_commit(&t).await;
    let demote = |name: &'static str| {
        let app = t.app.clone();
        tokio::spawn(async move { app.operator_set_role(name, Role::Support, &actor()).await })
    };
    let (a, b) = (demote("alice"), demote("bob"));
    if let Some(hold) = hold {
        hold.release_when_waiting(2).await;
    }
    let results = [a.await.unwrap(), b.await.unwrap()];
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.to_string().contains("the only enabled admin")))
        .count();
    assert_eq!(refused, 1, "{results:?}");
    let admins = t
        .app
        .operator_list()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.role == Role::Admin)
        .count();
    assert_eq!(admins, 1);
}

/// Two moves of the sandbox clock at once add up (each read the offset before the other wrote
/// it, and one move was lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_clock_moves_at_once_add_up() {
    let t = spawn_app().await;
    let hold = hold_the_commit(&t).await;
    let advance = |days| {
        let app = t.app.clone();
        tokio::spawn(async move { app.clock_advance(Duration::days(days), &actor()).await })
    };
    let (a, b) = (advance(1), advance(10));
    if let Some(hold) = hold {
        hold.release_when_waiting(2).await;
    }
    a.await.unwrap().unwrap();
    b.await.unwrap().unwrap();
    // As stored, and as the node that made both moves holds it (whichever move finished last,
    // the older offset never overwrites the newer one).
    assert_eq!(
        t.open_again().await.clock_show().offset_seconds,
        11 * 86_400
    );
    assert_eq!(t.app.clock_show().offset_seconds, 11 * 86_400);
}

/// A disable racing an edit of the same app: both land (the edit's new name and the disable).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_disable_racing_an_edit_of_one_app_keeps_both() {
    use authdesk_core::client::ClientDraft;
    let t = spawn_app().await;
    let draft = ClientDraft {
        name: "Budget Pal".into(),
        redirect_uris: vec![REDIRECT.into()],
        scopes: vec!["openid".into(), "offline_access".into()],
        ..Default::default()
    };
    let c = t.client(draft.clone()).await;
    let hold = Hold::lock(&t, "SELECT 1 FROM clients WHERE id = $1 FOR UPDATE", &c.id).await;
    let edit = {
        let (app, id) = (t.app.clone(), c.id.clone());
        let draft = ClientDraft {
            name: "Budget Pal Pro".into(),
            ..draft
        };
        tokio::spawn(async move { app.client_update(&id, &draft, &actor()).await })
    };
    let disable = {
        let (app, id) = (t.app.clone(), c.id.clone());
        tokio::spawn(async move { app.client_set_enabled(&id, false, &actor()).await })
    };
    if let Some(hold) = hold {
        hold.release_when_waiting(2).await;
    }
    edit.await.unwrap().unwrap();
    disable.await.unwrap().unwrap();
    let view = t.app.client_show(&c.id).await.unwrap();
    assert_eq!(
        (view.name.as_str(), view.enabled),
        ("Budget Pal Pro", false)
    );
}

/// An edit that changes how an app authenticates changes its settings and its secret in one
/// unit: to a public client the secret is gone, back to a secret method a new one is issued
/// (shown once) and works. On PostgreSQL a unit's statements run as one, where a row may change
/// only once: the app's row is written whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_changes_how_an_app_authenticates_issues_or_clears_its_secret() {
    use authdesk_core::client::{AuthMethod, ClientDraft, ClientType};
    use authdesk_server::api::client_auth::Credentials;
    let t = spawn_app().await;
    let draft = ClientDraft {
        name: "Budget Pal".into(),
        redirect_uris: vec![REDIRECT.into()],
        scopes: vec!["openid".into()],
        ..Default::default()
    };
    let c = t.client(draft.clone()).await;
    let old = c.secret.clone().expect("a confidential app has a secret");
    let public = ClientDraft {
        client_type: Some(ClientType::Public),
        auth_method: Some(AuthMethod::None),
        ..draft.clone()
    };
    let edited = t.app.client_update(&c.id, &public, &actor()).await.unwrap();
    assert!(edited.client_secret.is_none());
    let back = ClientDraft {
        client_type: Some(ClientType::Confidential),
        auth_method: Some(AuthMethod::ClientSecretBasic),
        name: "Budget Pal Again".into(),
        ..draft
    };
    let edited = t.app.client_update(&c.id, &back, &actor()).await.unwrap();
    let new = edited.client_secret.expect("a new secret, shown once");
    assert_ne!(new, old);
    let authenticate = |secret: String| {
        let (app, id) = (t.app.clone(), c.id.clone());
        async move {
            app.client_authenticate(
                &Credentials::Basic {
                    client_id: id,
                    secret,
                },
                &[],
            )
            .await
        }
    };
    assert!(authenticate(new).await.is_ok());
    assert!(authenticate(old).await.is_err());
    let view = t.app.client_show(&c.id).await.unwrap();
    assert_eq!(view.name, "Budget Pal Again");
}

/// A person deleted while their refresh token is used: whichever goes first, neither token
/// works afterwards and their grant is revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_person_deleted_during_a_refresh_leaves_nothing_that_works() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let sub = t.user("ada").await;
    let rt = s(
        &t.code_flow(&c, "ada", "openid offline_access").await,
        "refresh_token",
    )
    .to_string();
    let hold = Hold::lock(&t, "SELECT 1 FROM grants WHERE sub = $1 FOR UPDATE", &sub).await;
    let refresh = {
        let (t_url, form) = (
            t.endpoint(authdesk_core::site::Endpoint::Token),
            [
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let (id, secret) = (c.id.clone(), c.secret.clone().unwrap());
        tokio::spawn(async move {
            let resp = reqwest::Client::new()
                .post(t_url)
                .basic_auth(id, Some(secret))
                .form(&form)
                .send()
                .await
                .unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        })
    };
    let delete = {
        let (app, sub) = (t.app.clone(), sub.clone());
        tokio::spawn(async move { app.user_delete(&sub, &actor()).await })
    };
    if let Some(hold) = hold {
        hold.release_when_waiting(2).await;
    }
    let (status, body) = refresh.await.unwrap();
    delete.await.unwrap().unwrap();
    assert!(
        status == StatusCode::OK || body["error"] == "invalid_grant",
        "{status} {body}"
    );
    let mut tokens = vec![rt.clone()];
    if let Some(new) = body["refresh_token"].as_str() {
        tokens.push(new.to_string());
    }
    for token in tokens {
        let (status, body) = t
            .token(
                &c,
                &[("grant_type", "refresh_token"), ("refresh_token", &token)],
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        // The grant stays, revoked, for support's history.
        let grant = t.app.grant_find_by_token(&token).await.unwrap().grant;
        assert!(grant.revoked_at.is_some(), "{grant:?}");
    }
}

/// A small deterministic generator (xorshift64*): a failing seed is printed and replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Random interleavings of read-modify-write units (clock moves, key rotations, operators'
/// role changes) from several tasks over two stores on one registry (two nodes) end as a
/// sequential order would: the moves add up, one key of the algorithm is active and it is the
/// last one rotated in, replaying the role changes the audit recorded, in its order, gives the
/// roles stored and never leaves no admin, and the audit's chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_interleavings_end_as_some_sequential_order() {
    use authdesk_core::alg::Alg;
    use authdesk_core::roles::Role;
    use authdesk_server::api::audit::{AuditAction, AuditQuery};
    use std::collections::BTreeMap;
    const NAMES: [&str; 3] = ["alice", "bob", "carol"];
    for seed in [0x9E37_79B9_7F4A_7C15_u64, 42, 7_777_777] {
        let t = spawn_app().await;
        let nodes = [t.app.clone(), std::sync::Arc::new(t.open_again().await)];
        for name in NAMES {
            t.app
                .operator_add(name, "", Role::Admin, PASSWORD, &actor())
                .await
                .unwrap();
        }
        let mut rng = Rng(seed);
        let mut tasks = Vec::new();
        for task in 0..6 {
            let plan: Vec<u64> = (0..6).map(|_| rng.below(1_000)).collect();
            let app = nodes[task % 2].clone();
            tasks.push(tokio::spawn(async move {
                let (mut moved, mut kids) = (0_i64, Vec::new());
                for step in plan {
                    match step % 3 {
                        0 => {
                            let minutes = 1 + (step / 3 % 10) as i64;
                            app.clock_advance(Duration::minutes(minutes), &actor())
                                .await
                                .unwrap();
                            moved += minutes * 60;
                        }
                        1 => kids.push(
                            app.key_rotate(Alg::ES256, false, &actor())
                                .await
                                .unwrap()
                                .kid,
                        ),
                        _ => {
                            let name = NAMES[(step / 3 % 3) as usize];
                            let role = if step / 9 % 2 == 0 {
                                Role::Admin
                            } else {
                                Role::Support
                            };
                            if let Err(e) = app.operator_set_role(name, role, &actor()).await {
                                assert!(
                                    e.to_string().contains("the only enabled admin"),
                                    "seed {seed}: {e}"
                                );
                            }
                        }
                    }
                }
                (moved, kids)
            }));
        }
        let (mut moved, mut kids) = (0, Vec::new());
        for task in tasks {
            let (m, k) = task.await.unwrap();
            moved += m;
            kids.extend(k);
        }

        // Read back as a third process would.
        let fresh = t.open_again().await;
        assert_eq!(fresh.clock_show().offset_seconds, moved, "seed {seed}");
        let active: Vec<String> = fresh
            .key_list()
            .into_iter()
            .filter(|k| k.alg == Alg::ES256 && k.state == "active")
            .map(|k| k.kid)
            .collect();
        assert_eq!(active.len(), 1, "seed {seed}: {active:?}");
        if !kids.is_empty() {
            let last = fresh
                .audit_list(&by_action(AuditAction::KeyRotate), Default::default(), 1)
                .await
                .unwrap();
            assert_eq!(active[0], last.rows[0].target, "seed {seed}");
        }
        let mut roles: BTreeMap<String, Role> =
            NAMES.iter().map(|n| (n.to_string(), Role::Admin)).collect();
        let changes = fresh
            .audit_list(
                &AuditQuery {
                    action: Some(AuditAction::OperatorUpdate),
                    ..Default::default()
                },
                Default::default(),
                1_000,
            )
            .await
            .unwrap();
        for e in changes.rows.iter().rev() {
            let detail: Value = serde_json::from_str(&e.detail).unwrap();
            let role: Role = serde_json::from_value(detail["role"].clone()).unwrap();
            roles.insert(e.target.clone(), role);
            assert!(
                roles.values().any(|r| *r == Role::Admin),
                "seed {seed}: a change left no admin"
            );
        }
        let stored: BTreeMap<String, Role> = fresh
            .operator_list()
            .await
            .unwrap()
            .into_iter()
            .map(|o| (o.username, o.role))
            .collect();
        assert_eq!(stored, roles, "seed {seed}");
        assert_eq!(fresh.audit_verify().await.unwrap().first_bad, None);
    }
}

/// Random interleavings of secret rotations (with an overlap), refreshes, a revocation of one
/// person's grants and another person's deletion, from several tasks over two nodes (each step
/// starting in every task at once), end as a sequential order would: of the secrets handed
/// out, exactly the last two work (the current one and the one it replaced, during its
/// overlap); the untouched people's tokens still refresh; the revoked person's and the deleted
/// person's never do again; the audit's chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_interleavings_of_secrets_grants_and_people_end_as_some_sequential_order() {
    use authdesk_server::api::client_auth::Credentials;
    use authdesk_store::grants::GrantSelector;
    for seed in [3_u64, 0xDEAD_BEEF, 123_456_789] {
        let t = spawn_app().await;
        let nodes = [t.app.clone(), std::sync::Arc::new(t.open_node().await)];
        let app = t.confidential().await;
        let mut subs = Vec::new();
        let mut tokens = Vec::new();
        for name in ["ada", "bob", "cy", "dee"] {
            let sub = t.user(name).await;
            let minted = t
                .app
                .mint(
                    &app.id,
                    Some(&sub),
                    "openid offline_access",
                    false,
                    &actor(),
                )
                .await
                .unwrap();
            tokens.push(minted.tokens.refresh_token.unwrap());
            subs.push(sub);
        }
        let (revoked, deleted) = (2_usize, 3_usize);
        let client = t
            .app
            .client_authenticate(
                &Credentials::Basic {
                    client_id: app.id.clone(),
                    secret: app.secret.clone().unwrap(),
                },
                &[],
            )
            .await
            .unwrap();
        let at = t.app.site().primary().clone();
        let mut rng = Rng(seed);
        let mut tasks = Vec::new();
        // Each step starts in every task at once, so units of one kind meet often.
        let together = std::sync::Arc::new(tokio::sync::Barrier::new(6));
        for task in 0..6 {
            let plan: Vec<u64> = (0..8).map(|_| rng.below(1_000)).collect();
            let node = nodes[task % 2].clone();
            let together = together.clone();
            let (app_id, subs, tokens, client, at) = (
                app.id.clone(),
                subs.clone(),
                tokens.clone(),
                client.clone(),
                at.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut secrets = Vec::new();
                for step in plan {
                    together.wait().await;
                    match step % 4 {
                        0 => secrets.push(
                            node.client_rotate_secret(&app_id, Some(Duration::days(1)), &actor())
                                .await
                                .unwrap()
                                .client_secret
                                .unwrap(),
                        ),
                        1 => {
                            let k = (step / 4 % 4) as usize;
                            let refreshed =
                                node.refresh(&at, &client, &tokens[k], None, None).await;
                            assert!(
                                refreshed.is_ok() || k == revoked || k == deleted,
                                "seed {seed}: person {k}: {refreshed:?}"
                            );
                        }
                        2 => {
                            let selector = GrantSelector::User {
                                sub: subs[revoked].clone(),
                                client_id: None,
                            };
                            let _ = node.grant_revoke(&selector, &actor(), "test").await;
                        }
                        _ => {
                            let _ = node.user_delete(&subs[deleted], &actor()).await;
                        }
                    }
                }
                secrets
            }));
        }
        let mut secrets = Vec::new();
        for task in tasks {
            secrets.extend(task.await.unwrap());
        }

        // Read back as a third node would.
        t.sealed().await;
        let fresh = t.open_node().await;
        let mut working = 0;
        for secret in &secrets {
            let creds = Credentials::Basic {
                client_id: app.id.clone(),
                secret: secret.clone(),
            };
            working += usize::from(fresh.client_authenticate(&creds, &[]).await.is_ok());
        }
        assert_eq!(
            working,
            secrets.len().min(2),
            "seed {seed}: of {} secrets handed out",
            secrets.len()
        );
        let at = fresh.site().primary().clone();
        for (k, token) in tokens.iter().enumerate() {
            let refreshed = fresh.refresh(&at, &client, token, None, None).await;
            if k == revoked || k == deleted {
                // Unless no step of the plan revoked or deleted (the seeds here all do).
                assert!(refreshed.is_err(), "seed {seed}: person {k} refreshed");
            } else {
                assert!(refreshed.is_ok(), "seed {seed}: person {k}: {refreshed:?}");
            }
        }
        let people: Vec<String> = fresh
            .user_list(None, Default::default())
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(people, ["ada", "bob", "cy"], "seed {seed}: dee deleted");
        let check = fresh.audit_verify().await.unwrap();
        assert_eq!(check.first_bad, None, "seed {seed}");
    }
}
