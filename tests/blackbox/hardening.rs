//! What a hostile caller tried (issue "Security hardening"), each answered: tokens of deleted
//! users, forged claims under a real `jti` and retired keys, another client's code, the Host
//! header, and the small ones (scheme case, `nosniff`, plain error descriptions).

use authdesk_server::api::audit::AuditAction;
use authdesk_server::signing;
use authdesk_store::keys;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn introspect(t: &TestApp, c: &Registered, token: &str) -> Value {
    reqwest::Client::new()
        .post(t.url("/introspect"))
        .basic_auth(&c.id, c.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn refresh(t: &TestApp, c: &Registered, rt: &str) -> (StatusCode, Value) {
    t.token(c, &[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .await
}

#[tokio::test]
async fn deleting_a_user_ends_their_grants_and_tokens() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let sub = t.user("ada").await;
    // Without openid: a refresh needs no user claims, so only the grant check can stop it.
    let tokens = t.code_flow(&c, "ada", "accounts offline_access").await;
    let (at, rt) = (s(&tokens, "access_token"), s(&tokens, "refresh_token"));
    assert_eq!(introspect(&t, &c, at).await["active"], true);

    t.app.user_delete(&sub, &actor()).await.unwrap();

    assert_eq!(introspect(&t, &c, at).await, json!({"active": false}));
    assert_eq!(introspect(&t, &c, rt).await, json!({"active": false}));
    let (status, body) = refresh(&t, &c, rt).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    let grants = t
        .app
        .grant_list(
            Some(&authdesk_store::grants::GrantSelector::User {
                sub: sub.clone(),
                client_id: None,
            }),
            Default::default(),
        )
        .await
        .unwrap();
    let g = serde_json::to_value(&grants[0]).unwrap();
    assert_eq!(g["revoke_reason"], "user deleted", "{g}");
}

#[tokio::test]
async fn tokens_of_a_user_deleted_without_their_grants_are_refused() {
    // A grant left behind by a delete from before grants ended with their user.
    let t = spawn_app().await;
    let c = t.confidential().await;
    let sub = t.user("ada").await;
    let tokens = t.code_flow(&c, "ada", "accounts offline_access").await;
    t.app
        .store()
        .write(move |tx| {
            Box::pin(async move {
                authdesk_store::on!(&mut *tx, "DELETE FROM users WHERE sub = ?", |db, sql| {
                    sqlx::query(sql)
                        .bind(&sub)
                        .execute(&mut *db)
                        .await
                        .map(|r| r.rows_affected())
                })
                .map_err(authdesk_store::StoreError::from)?;
                Ok::<_, authdesk_store::StoreError>(())
            })
        })
        .await
        .unwrap();
    let at = s(&tokens, "access_token");
    assert_eq!(introspect(&t, &c, at).await, json!({"active": false}));
    let ui = reqwest::Client::new()
        .get(t.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = refresh(&t, &c, s(&tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

/// Signs `claims` as an access token with the stored key `kid` (what someone holding a copy
/// of the database, or an old backup of it, could do).
async fn forge(t: &TestApp, kid: &str, claims: &Value) -> String {
    let rows = {
        let mut conn = t.app.store().read().await.unwrap();
        keys::all(&mut conn).await.unwrap()
    };
    let row = rows.iter().find(|k| k.kid == kid).expect("stored key");
    signing::signing_key(row).unwrap().sign("at+jwt", claims)
}

#[tokio::test]
async fn forged_claims_and_retired_keys_do_not_introspect_active() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    let old_kid = t.app.key_list()[0].kid.clone();
    t.app
        .key_rotate(signing::Alg::RS256, false, &actor())
        .await
        .unwrap();
    let new_kid = t
        .app
        .key_list()
        .iter()
        .find(|k| k.retired_at.is_none())
        .unwrap()
        .kid
        .clone();
    // The old key's publication window (the longest token lifetime) ends.
    t.advance(Duration::hours(1) + Duration::seconds(1)).await;

    let tokens = t.code_flow(&c, "ada", "accounts offline_access").await;
    let real = claims(s(&tokens, "access_token"));
    assert_eq!(
        introspect(&t, &c, s(&tokens, "access_token")).await["active"],
        true
    );

    let mut forged = real.clone();
    forged["sub"] = json!("forged-admin");
    // With the retired key: refused although its jti is live.
    let by_old = forge(&t, &old_kid, &forged).await;
    assert_eq!(introspect(&t, &c, &by_old).await, json!({"active": false}));
    // Even the current key cannot make the record say something else.
    let by_new = forge(&t, &new_kid, &forged).await;
    assert_eq!(introspect(&t, &c, &by_new).await, json!({"active": false}));
    let mut wider = real.clone();
    wider["scope"] = json!("accounts offline_access openid profile");
    let by_new = forge(&t, &new_kid, &wider).await;
    assert_eq!(introspect(&t, &c, &by_new).await, json!({"active": false}));
    // The retired key does not even vouch for a faithful copy of the real claims.
    let copy = forge(&t, &old_kid, &real).await;
    assert_eq!(introspect(&t, &c, &copy).await, json!({"active": false}));
    let ui = reqwest::Client::new()
        .get(t.url("/userinfo"))
        .bearer_auth(&copy)
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), StatusCode::UNAUTHORIZED);

    // What introspection says comes from the stored record.
    let i = introspect(&t, &c, s(&tokens, "access_token")).await;
    for k in ["sub", "client_id", "scope", "exp", "iat", "jti", "iss"] {
        assert_eq!(i[k], real[k], "{k}");
    }
}

#[tokio::test]
async fn another_clients_code_is_neither_burnt_nor_used_to_revoke_its_owners_grant() {
    let t = spawn_app().await;
    let owner = t.confidential().await;
    let other = t.public().await;
    t.user("ada").await;
    let (code, verifier) = t.code(&owner, "ada", "openid offline_access").await;
    let exchange = async |client: &Registered| -> (StatusCode, Value) {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ];
        if client.secret.is_none() {
            form.push(("client_id", client.id.as_str()));
        }
        t.token(client, &form).await
    };

    // Another client presents the fresh code: refused, and the code stays usable by its owner.
    let (status, body) = exchange(&other).await;
    assert_eq!(
        (status, s(&body, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    let (status, tokens) = exchange(&owner).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");

    // Another client replays the used code: refused, and the owner's grant lives on.
    let (status, body) = exchange(&other).await;
    assert_eq!(
        (status, s(&body, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    let (status, body) = refresh(&t, &owner, s(&tokens, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "the owner's grant survives: {body}");

    // The owner itself replaying its code is the leak RFC 6749 §4.1.2 means: the grant ends.
    let (status, _) = exchange(&owner).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = refresh(&t, &owner, s(&body, "refresh_token")).await;
    assert_eq!(
        (status, s(&body, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
}

/// Sends one raw HTTP/1.1 request with the given Host header; returns the status and body.
async fn with_host(t: &TestApp, host: &str) -> (u16, String) {
    let addr = t.issuer.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let req = format!("GET /jwks HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    let status = out.split(' ').nth(1).unwrap().parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn requests_naming_a_foreign_host_are_refused() {
    let t = spawn_app().await;
    let port = t.issuer.rsplit(':').next().unwrap().to_string();
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
    ] {
        let (status, body) = with_host(&t, &host).await;
        assert_eq!(status, 400, "{host}: {body}");
        assert!(body.contains("invalid_request"), "{body}");
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (status, body) = with_host(&t, &host).await;
        assert_eq!(status, 200, "{host}: {body}");
    }
}

#[tokio::test]
async fn the_basic_scheme_is_case_insensitive_and_json_is_nosniff() {
    use base64::Engine;
    let t = spawn_app().await;
    let c = t.confidential().await;
    let creds = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        c.id,
        c.secret.as_deref().unwrap()
    ));
    for scheme in ["Basic", "BASIC", "basic", "bAsIc"] {
        let resp = reqwest::Client::new()
            .post(t.url("/token"))
            .header("authorization", format!("{scheme} {creds}"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{scheme}");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    }
    for path in ["/jwks", "/.well-known/openid-configuration", "/nowhere"] {
        let resp = reqwest::get(t.url(path)).await.unwrap();
        assert_eq!(
            resp.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
}

#[tokio::test]
async fn error_descriptions_quote_values_plainly() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    let (status, body) = t
        .token(
            &c,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "acc\u{7}ounts\\x \"y\""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let d = s(&body, "error_description");
    assert!(d.contains("acc?ounts?x"), "{d}");
    assert!(
        !d.contains("u{7}") && !d.contains('\u{7}') && !d.contains('\\') && !d.contains('"'),
        "{d}"
    );
    let long = "x".repeat(100_000);
    let (_, body) = t.token(&c, &[("grant_type", long.as_str())]).await;
    assert!(s(&body, "error_description").len() < 200, "{body}");
}

/// An authorization request of `c` for `openid` with PKCE, plus `extra` parameters.
fn openid_url(t: &TestApp, c: &Registered, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    t.auth_url(&params)
}

/// Opens a login form for `c` in `browser`; returns its HTML.
async fn login_form(t: &TestApp, browser: &reqwest::Client, c: &Registered) -> String {
    let url = openid_url(t, c, &[("state", "s")]);
    let resp = browser.get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

async fn post_login(
    t: &TestApp,
    browser: &reqwest::Client,
    form: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    browser
        .post(t.url("/login"))
        .form(&[
            ("interaction", hidden(form, "interaction").as_str()),
            ("csrf_token", hidden(form, "csrf_token").as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_passwords_are_budgeted_per_login_form_and_per_user_name() {
    let t = spawn_app().await;
    let c = t.public().await;
    t.user("ada").await;

    // One login form takes five wrong passwords, then it is gone: the right password on it
    // gets no code.
    let b = browser();
    let form = login_form(&t, &b, &c).await;
    for i in 1..=4 {
        let resp = post_login(&t, &b, &form, "ada", &format!("guess {i}")).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(resp.text().await.unwrap().contains("password is wrong"));
    }
    let resp = post_login(&t, &b, &form, "ada", "guess 5").await;
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Too many wrong passwords on this login form")
    );
    let resp = post_login(&t, &b, &form, "ada", PASSWORD).await;
    assert_ne!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "no code from a spent form"
    );
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("This login form can no longer be used")
    );

    // Five in a row lock the user name for 30 s, on a new form too, even with the right
    // password, and the answer says when to come back.
    let form = login_form(&t, &b, &c).await;
    let resp = post_login(&t, &b, &form, "ada", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "30");
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Try again in 30 seconds")
    );

    // An unknown user name is treated the same (the answers tell nobody who exists).
    let other = browser();
    for i in 1..=4 {
        let form = login_form(&t, &other, &c).await;
        let resp = post_login(&t, &other, &form, "nobody", &format!("guess {i}")).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let form = login_form(&t, &other, &c).await;
    let resp = post_login(&t, &other, &form, "nobody", "guess 5").await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "30");

    // The lock ends by the clock; the right password then works and clears the count.
    t.advance(Duration::seconds(30)).await;
    let form = login_form(&t, &b, &c).await;
    let resp = post_login(&t, &b, &form, "ada", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let form = login_form(&t, &b, &c).await;
    let resp = post_login(&t, &b, &form, "ada", "one more guess").await;
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "the count started again, no lock"
    );

    // Every failure is audited with the user name and without the password.
    let events = t
        .app
        .audit_list(
            &by_action(AuditAction::UserLoginFailed),
            Default::default(),
            1000,
        )
        .await
        .unwrap()
        .rows;
    assert_eq!(events.len(), 11);
    let all = serde_json::to_string(&events).unwrap();
    assert!(
        all.contains("\"ada\"") && all.contains("\"nobody\""),
        "{all}"
    );
    assert!(!all.contains("guess"), "no password in the audit: {all}");

    // The counts go once they are old (pruning follows the sandbox clock).
    t.advance(Duration::hours(2)).await;
    t.app.prune().await.unwrap();
    let left = {
        let mut conn = t.app.store().read().await.unwrap();
        authdesk_store::prune::counts(&mut conn).await.unwrap()
    };
    assert!(left.contains(&("login_failures", 0)), "{left:?}");
}

async fn table_count(t: &TestApp, table: &str) -> i64 {
    let mut conn = t.app.store().read().await.unwrap();
    let counts = authdesk_store::prune::counts(&mut conn).await.unwrap();
    counts.iter().find(|(n, _)| *n == table).unwrap().1
}

#[tokio::test]
async fn oversized_requests_are_refused_before_anything_is_stored() {
    let t = spawn_app().await;
    let c = t.public().await;
    let http = reqwest::Client::new();
    let audit_before = table_count(&t, "audit").await;

    // A body over 64 KiB, announced or streamed without a length.
    let huge = "x".repeat(1 << 20);
    let resp = http
        .post(t.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", huge.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let chunks =
        futures_util::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 4096])));
    let resp = http
        .post(t.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );

    // A parameter over its own limit, inside a small body.
    let long_id = "c".repeat(300);
    let (status, body) = t
        .token(
            &Registered {
                id: long_id.clone(),
                secret: None,
            },
            &[
                ("grant_type", "client_credentials"),
                ("client_id", long_id.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    assert!(
        s(&body, "error_description").contains("client_id is too long"),
        "{body}"
    );
    assert_eq!(
        table_count(&t, "audit").await,
        audit_before,
        "nothing audited"
    );

    // A login hint over 512 bytes: refused with a page, no interaction stored.
    let url = openid_url(&t, &c, &[("login_hint", &"h".repeat(513))]);
    let resp = browser().get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("login_hint is too long")
    );
    assert_eq!(table_count(&t, "interactions").await, 0);
}

#[tokio::test]
async fn a_flood_of_failed_client_authentications_is_audited_within_a_budget() {
    let t = spawn_app().await;
    let http = reqwest::Client::new();
    let fail = |i: usize| {
        let (http, url) = (http.clone(), t.url("/token"));
        async move {
            let resp = http
                .post(url)
                .basic_auth(format!("nobody-{i}-\u{7}"), Some("guess"))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        }
    };
    for i in 0..300 {
        fail(i).await;
    }
    let events = |t: &TestApp| {
        let app = t.app.clone();
        async move {
            app.audit_list(
                &by_action(AuditAction::ClientAuthFailed),
                Default::default(),
                500,
            )
            .await
            .unwrap()
            .rows
        }
    };
    // The sandbox clock is frozen in tests: exactly the burst was written.
    assert_eq!(events(&t).await.len(), 100);
    // Ten seconds later the budget has refilled by 100; the next event says what was skipped.
    t.advance(Duration::seconds(10)).await;
    fail(300).await;
    let all = events(&t).await;
    assert_eq!(all.len(), 101);
    let newest = all.iter().max_by_key(|e| e.id).unwrap();
    let detail: Value = serde_json::from_str(&newest.detail).unwrap();
    assert_eq!(detail["suppressed_before"], 200, "{detail}");
    // Unknown ids are stored printable.
    assert_eq!(newest.target, "nobody-300-?");
}

#[tokio::test]
async fn only_resource_servers_introspect_other_apps_tokens() {
    use authdesk_core::client::{ClientDraft, GrantType};
    let t = spawn_app().await;
    let app = t.confidential().await;
    t.user("ada").await;
    let user_token = t.code_flow(&app, "ada", "openid accounts").await;
    let at = s(&user_token, "access_token");
    let batch = t
        .client(ClientDraft {
            name: "Nightly batch".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["accounts".into()],
            ..Default::default()
        })
        .await;
    let api = t
        .client(ClientDraft {
            name: "Accounts API".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["accounts".into()],
            resource_server: Some(true),
            ..Default::default()
        })
        .await;
    // A batch app learns nothing about another app's user token.
    assert_eq!(introspect(&t, &batch, at).await, json!({"active": false}));
    // The API it is meant for, registered as a resource server, does; so does the app itself.
    let i = introspect(&t, &api, at).await;
    assert_eq!(
        (i["active"].clone(), i["sub"].clone()),
        (json!(true), user_token_sub(at))
    );
    assert_eq!(introspect(&t, &app, at).await["active"], true);
    // A public app cannot be registered as one.
    let refused = t
        .app
        .client_create(
            &ClientDraft {
                name: "Mobile API".into(),
                client_type: Some(authdesk_core::client::ClientType::Public),
                redirect_uris: vec![REDIRECT.into()],
                resource_server: Some(true),
                ..Default::default()
            },
            &actor(),
        )
        .await;
    assert!(refused.is_err());
}

fn user_token_sub(at: &str) -> Value {
    claims(at)["sub"].clone()
}

/// Runs `sql` against the data directory's database, as someone with a SQL shell would.
async fn tamper(t: &TestApp, sql: &'static str) {
    t.app
        .store()
        .write(move |tx| {
            Box::pin(async move {
                tx.execute(sql)
                    .await
                    .map_err(authdesk_store::StoreError::from)?;
                Ok::<_, authdesk_store::StoreError>(())
            })
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_audit_is_a_hash_chain_that_shows_the_first_changed_event() {
    let t = spawn_app().await;
    let c = t.confidential().await;
    t.user("ada").await;
    t.user("bob").await;
    t.code_flow(&c, "ada", "openid offline_access").await;
    t.sealed().await;
    let check = t.app.audit_verify().await.unwrap();
    assert!(check.events >= 4, "{check:?}");
    assert_eq!(check.first_bad, None);

    // Pruning removes the oldest events and the chain still verifies from its new anchor.
    t.advance(Duration::days(366 + 365)).await;
    t.user("carol").await;
    t.user("dan").await;
    t.user("eve").await;
    t.sealed().await;
    t.app.prune().await.unwrap();
    let check = t.app.audit_verify().await.unwrap();
    assert_eq!(check.first_bad, None, "{check:?}");
    let events = t
        .app
        .audit_list(&Default::default(), Default::default(), 1000)
        .await
        .unwrap()
        .rows;
    assert!(
        events.iter().all(|e| e.action != "client.create"),
        "old events pruned"
    );
    let mut ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    ids.sort();
    assert!(ids.len() >= 3, "{ids:?}");

    // Someone edits an event with SQL: verify names it.
    tamper(&t, "UPDATE audit SET target = 'someone-else' WHERE id = (SELECT id FROM audit ORDER BY id LIMIT 1 OFFSET 1)").await;
    let check = t.app.audit_verify().await.unwrap();
    assert_eq!(check.first_bad, Some(ids[1]), "{check:?}");
    // Writing goes on; the break stays visible.
    t.user("frank").await;
    t.sealed().await;
    assert_eq!(t.app.audit_verify().await.unwrap().first_bad, Some(ids[1]));
    // Removing an event from the middle breaks the chain at the next one.
    tamper(
        &t,
        "DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id LIMIT 1 OFFSET 1)",
    )
    .await;
    assert_eq!(t.app.audit_verify().await.unwrap().first_bad, Some(ids[2]));
}

#[tokio::test]
async fn an_http_issuer_keeps_no_login_session_unless_asked() {
    let t = spawn_app().await;
    let c = t.public().await;
    t.user("ada").await;
    let b = browser();
    let form = login_form(&t, &b, &c).await;
    let resp = post_login(&t, &b, &form, "ada", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let set: Vec<_> = resp.headers().get_all("set-cookie").iter().collect();
    assert!(
        set.iter().all(|v| !v.to_str().unwrap().contains("session")),
        "no session cookie on http://127.0.0.1: {set:?}"
    );
    // The same browser must log in again: another app on 127.0.0.1 holding this browser's
    // cookies gets nothing without the password.
    let again = b
        .get(openid_url(&t, &c, &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect_params(&again)["error"], "login_required");

    // Switched on (`serve --sso`), the session works as single sign-on.
    t.app.set_sso_over_http(true);
    let form = login_form(&t, &b, &c).await;
    let resp = post_login(&t, &b, &form, "ada", PASSWORD).await;
    let set: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        set.iter().any(|v| v.starts_with("authdesk_session=")),
        "{set:?}"
    );
}

#[tokio::test]
async fn an_https_issuer_uses_host_prefixed_secure_cookies() {
    let t = spawn_app().await;
    t.app
        .set_issuer(&authdesk_core::issuer::Issuer::parse("https://auth.example.com").unwrap())
        .await
        .unwrap();
    let c = t.public().await;
    t.user("ada").await;
    let url = openid_url(&t, &c, &[]);
    let resp = reqwest::Client::new().get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("__Host-authdesk_interaction="),
        "{cookie}"
    );
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/;"),
        "{cookie}"
    );
    assert!(t.app.sso(), "single sign-on with an https issuer");
}
