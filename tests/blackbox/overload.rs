//! The server under hostile conditions it cannot prevent: clients that hang up at any moment,
//! another process holding the database's write lock, a full disk. Each is an answer — the
//! request's own, or `503 temporarily_unavailable` with `Retry-After` — never a hang, never a
//! 500, never a half-written grant; and the server recovers by itself once the cause is gone.

use authdesk_store::Limits;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};
use tests::*;

/// What a request that a client gave up on may have left: every refresh-token use created
/// exactly one child with its access token and its audit event, or nothing at all.
async fn assert_nothing_half_done(t: &TestApp) {
    let mut c = t.app.store().read().await.unwrap();
    for (what, sql) in [
        (
            "a refresh token's use count differs from its children",
            "SELECT COUNT(*) FROM refresh_tokens p WHERE p.use_count != (SELECT COUNT(*) FROM refresh_tokens c WHERE c.parent_id = p.id)",
        ),
        (
            "a refresh token has no access token issued with it",
            "SELECT COUNT(*) FROM refresh_tokens c WHERE NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.refresh_token_id = c.id)",
        ),
        (
            "refreshes and their audit events differ",
            "SELECT (SELECT COUNT(*) FROM refresh_tokens WHERE parent_id IS NOT NULL) - (SELECT COUNT(*) FROM audit WHERE action = 'token.refresh')",
        ),
        (
            "a used code names a grant that does not exist",
            "SELECT COUNT(*) FROM authorization_codes c WHERE c.grant_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.id = c.grant_id)",
        ),
        (
            "an exchanged code has no audit event",
            "SELECT (SELECT COUNT(*) FROM authorization_codes WHERE grant_id IS NOT NULL) - (SELECT COUNT(*) FROM audit WHERE action = 'token.issue')",
        ),
    ] {
        let n: i64 = authdesk_store::on!(&mut *c, sql, |db, sql| sqlx::query_scalar(sql)
            .fetch_one(&mut *db)
            .await)
        .unwrap();
        assert_eq!(n, 0, "{what}");
    }
}

/// Token requests of every kind, each abandoned by its client after 0 to 4 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_hanging_up_at_any_moment_leave_nothing_half_done_and_no_harm() {
    let t = spawn_app().await;
    let conf = t.confidential().await;
    let public = t.public().await;
    let sub = t.user("ada").await;
    let conf_rt = s(
        &t.code_flow(&conf, "ada", "openid offline_access").await,
        "refresh_token",
    )
    .to_string();
    let mut codes = Vec::new();
    for _ in 0..12 {
        codes.push(t.code(&conf, "ada", "openid offline_access").await);
    }
    let url = t.url("/token");
    let mut tasks = Vec::new();
    for i in 0..400usize {
        let patience = Duration::from_micros((i as u64 * 137) % 4_000);
        let client = reqwest::Client::builder()
            .timeout(patience)
            .build()
            .unwrap();
        let mut req = client.post(&url);
        req = match i % 4 {
            0 => req
                .basic_auth(&conf.id, conf.secret.as_deref())
                .form(&[("grant_type", "client_credentials")]),
            1 => req.basic_auth(&conf.id, conf.secret.as_deref()).form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", conf_rt.as_str()),
            ]),
            2 if i / 4 < codes.len() => {
                let (code, verifier) = &codes[i / 4];
                req.basic_auth(&conf.id, conf.secret.as_deref()).form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", verifier.as_str()),
                ])
            }
            _ => req.form(&[
                ("grant_type", "client_credentials"),
                ("client_id", public.id.as_str()),
            ]),
        };
        tasks.push(tokio::spawn(async move {
            match req.send().await {
                Ok(r) => Some(r.status()),
                Err(_) => None, // the client gave up
            }
        }));
        if i % 16 == 15 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    // Requests whose body never fully arrives: the connection closes mid-body.
    let addr = t.issuer.trim_start_matches("http://").to_string();
    for cut in [0usize, 10, 40] {
        use tokio::io::AsyncWriteExt;
        let body = format!("grant_type=refresh_token&refresh_token={conf_rt}");
        let head = format!(
            "POST /token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(&body.as_bytes()[..cut]).await.unwrap();
        drop(sock);
    }
    // Use cases dropped at their awaits in this process too (the console's path).
    for i in 0..60u32 {
        let app = t.app.clone();
        let conf_id = conf.id.clone();
        let sub = sub.clone();
        let task = tokio::spawn(async move {
            let _ = app
                .mint(
                    &conf_id,
                    Some(&sub),
                    "openid offline_access",
                    false,
                    &actor(),
                )
                .await;
        });
        for _ in 0..(i % 12) {
            tokio::task::yield_now().await;
        }
        task.abort();
    }
    let mut answered = 0;
    for task in tasks {
        if let Some(status) = task.await.unwrap() {
            assert!(
                status.is_success() || status.is_client_error(),
                "an answered request got {status}"
            );
            answered += 1;
        }
    }
    println!("400 requests hung up after 0-4 ms; {answered} were answered first");

    // The server is unharmed: every kind of request works at once.
    for _ in 0..10 {
        let (status, body) = t
            .token(&conf, &[("grant_type", "client_credentials")])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = t
            .token(
                &conf,
                &[("grant_type", "refresh_token"), ("refresh_token", &conf_rt)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let body = t.code_flow(&public, "ada", "openid offline_access").await;
    assert!(body.get("refresh_token").is_some());
    let started = Instant::now();
    t.app
        .user_create("grace", "a long password", Default::default(), &actor())
        .await
        .expect("an admin write after the storm");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_nothing_half_done(&t).await;
}

/// Another process holding the write path: SQLite's write lock (`BEGIN IMMEDIATE` on its own
/// connection) or, on PostgreSQL, an exclusive lock on the access-token table every token
/// response inserts into (reads go on under it).
struct WritesHeld(authdesk_store::Conn);

async fn hold_writes(t: &TestApp) -> WritesHeld {
    use sqlx::ConnectOptions;
    let mut conn = match &t.database {
        authdesk_server::api::Database::Dir(dir) => authdesk_store::Conn::Sqlite(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join(authdesk_store::DB_FILE))
                .connect()
                .await
                .unwrap(),
        ),
        authdesk_server::api::Database::Postgres(url) => {
            authdesk_store::postgres_connection(url).await.unwrap()
        }
    };
    let hold: &[&str] = match conn {
        authdesk_store::Conn::Sqlite(_) => &["BEGIN IMMEDIATE"],
        authdesk_store::Conn::Postgres(_) => {
            &["BEGIN", "LOCK TABLE access_tokens IN EXCLUSIVE MODE"]
        }
    };
    for statement in hold {
        conn.execute(statement).await.unwrap();
    }
    WritesHeld(conn)
}

impl WritesHeld {
    async fn release(mut self) {
        self.0.execute("ROLLBACK").await.unwrap();
        self.0.close().await.unwrap();
    }
}

/// A unit of work the writer cannot start within its wait limit is refused with 503 and
/// `Retry-After`; reads go on; once the lock is free, so are writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_elsewhere_is_a_503_with_retry_after_not_a_hang() {
    let t = spawn_app_with_limits(Limits {
        queue: 64,
        wait: Duration::from_millis(500),
    })
    .await;
    let conf = t.confidential().await;
    t.user("ada").await;
    let rt = s(
        &t.code_flow(&conf, "ada", "offline_access").await,
        "refresh_token",
    )
    .to_string();
    let (_, cc) = t
        .token(&conf, &[("grant_type", "client_credentials")])
        .await;
    let other = hold_writes(&t).await;

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for form in [
        vec![("grant_type", "client_credentials")],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", rt.as_str()),
        ],
    ] {
        let started = Instant::now();
        let r = client
            .post(t.url("/token"))
            .basic_auth(&conf.id, conf.secret.as_deref())
            .form(&form)
            .send()
            .await
            .expect("an answer, not a hang");
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()["retry-after"], "1");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable", "{body}");
        println!("{}: 503 after {:?}", form[0].1, started.elapsed());
    }
    // Reads do not wait behind the lock: introspection reads the token's record.
    let started = Instant::now();
    let r: Value = client
        .post(t.url("/introspect"))
        .basic_auth(&conf.id, conf.secret.as_deref())
        .form(&[("token", s(&cc, "access_token"))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["active"], true);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    other.release().await;
    let (status, body) = t
        .token(
            &conf,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused refresh left its token usable: {body}"
    );
    assert_nothing_half_done(&t).await;
}

/// A full disk (SQLite's page limit standing in for it) is a 503 with nothing half-written;
/// once there is room again, the same server answers as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_a_503_with_nothing_half_written_and_service_resumes_by_itself() {
    if on_postgres() {
        // SQLite's page limit stands in for a full disk; PostgreSQL has no such knob, and its
        // storage faults are the database server's to report (`53100 disk_full` is mapped to
        // `Unavailable` in `StoreError::from_sqlx_ref`).
        return;
    }
    let t = spawn_app().await;
    let conf = t.confidential().await;
    let public = t.public().await;
    t.user("ada").await;
    let rt = s(
        &t.code_flow(&public, "ada", "offline_access").await,
        "refresh_token",
    )
    .to_string();
    let (code, verifier) = t.code(&conf, "ada", "openid offline_access").await;
    let store = t.app.store();
    let pages: i64 = {
        let mut c = store.read().await.unwrap();
        sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(c.as_sqlite().expect("a SQLite store"))
            .await
            .unwrap()
    };
    store.set_page_limit(Some(pages as u32));
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
        ("client_id", public.id.as_str()),
    ];
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let no_secret = Registered {
        id: public.id.clone(),
        secret: None,
    };
    // Tokens fill what room the last pages had; then every new token is refused.
    let mut refused_in_a_row = 0;
    let mut issued = 0;
    while refused_in_a_row < 5 {
        let (status, body) = t
            .token(&conf, &[("grant_type", "client_credentials")])
            .await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body["error"], "temporarily_unavailable");
            refused_in_a_row += 1;
        } else {
            assert_eq!(status, StatusCode::OK, "{body}");
            refused_in_a_row = 0;
            issued += 1;
            assert!(issued < 2_000, "the page limit never refused a write");
        }
    }
    let (status, body) = t.token(&no_secret, &refresh).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let (status, body) = t.token(&conf, &exchange).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    store.set_page_limit(None);
    // The refused rotation did not consume the public client's token, the refused exchange
    // did not burn the code: both work now, without a restart.
    let (status, body) = t.token(&no_secret, &refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t.token(&conf, &exchange).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .token(&conf, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_nothing_half_done(&t).await;
}

/// The console's write (in this process, through the same writer) while the server is under
/// full load completes within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_write_under_full_load_completes_within_a_second() {
    let t = spawn_app().await;
    let conf = t.confidential().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..32 {
        let (url, id, secret, stop) = (
            t.url("/token"),
            conf.id.clone(),
            conf.secret.clone(),
            stop.clone(),
        );
        load.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = client
                    .post(&url)
                    .basic_auth(&id, secret.as_deref())
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut worst = Duration::ZERO;
    for i in 0..5 {
        let started = Instant::now();
        t.app
            .client_create(
                &authdesk_core::client::ClientDraft {
                    name: format!("Created under load {i}"),
                    redirect_uris: vec![REDIRECT.into()],
                    ..Default::default()
                },
                &actor(),
            )
            .await
            .unwrap();
        worst = worst.max(started.elapsed());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut served = 0;
    for l in load {
        served += l.await.unwrap();
    }
    println!("console writes under load: worst {worst:?} ({served} tokens meanwhile)");
    assert!(worst < Duration::from_secs(1), "{worst:?}");
}

/// Polls `fut` `polls` times (letting the database work in between), then drops it: a request
/// abandoned at that exact await. Returns whether it finished first.
async fn drop_after<F: std::future::Future>(fut: F, polls: usize) -> bool {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..polls {
        if fut.as_mut().poll(&mut cx).is_ready() {
            return true;
        }
        tokio::time::sleep(Duration::from_micros(50)).await;
    }
    false
}

/// Every use case that writes, dropped after 1, 2, 3, … polls: at every await it has. After
/// each drop the store takes the next write at once and holds nothing half done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_cases_dropped_at_every_await_leave_the_store_healthy() {
    let t = spawn_app().await;
    let conf = t.confidential().await;
    let sub = t.user("ada").await;
    let client = t
        .app
        .client_authenticate(
            &authdesk_server::api::client_auth::Credentials::Basic {
                client_id: conf.id.clone(),
                secret: conf.secret.clone().unwrap(),
            },
            &[],
        )
        .await
        .unwrap();
    let rt = s(
        &t.code_flow(&conf, "ada", "openid offline_access").await,
        "refresh_token",
    )
    .to_string();
    let mut finished = 0;
    let at = t.app.site().primary().clone();
    for polls in 1..=40 {
        let (code, verifier) = t.code(&conf, "ada", "openid offline_access").await;
        let grant_filter = authdesk_store::grants::GrantSelector::User {
            sub: sub.clone(),
            client_id: None,
        };
        let app = &t.app;
        let cases: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>> = vec![
            Box::pin(async {
                let _ = app.client_credentials(&at, &client, None, None).await;
            }),
            Box::pin(async {
                let _ = app.refresh(&at, &client, &rt, None, None).await;
            }),
            Box::pin(async {
                let _ = app
                    .exchange_code(&at, &client, &code, Some(REDIRECT), Some(&verifier), None)
                    .await;
            }),
            Box::pin(async {
                let _ = app
                    .mint(
                        &conf.id,
                        Some(&sub),
                        "openid offline_access",
                        false,
                        &actor(),
                    )
                    .await;
            }),
            Box::pin(async {
                let _ = app
                    .client_create(
                        &authdesk_core::client::ClientDraft {
                            name: format!("dropped {polls}"),
                            redirect_uris: vec![REDIRECT.into()],
                            ..Default::default()
                        },
                        &actor(),
                    )
                    .await;
            }),
            Box::pin(async {
                let _ = app.grant_preview(&grant_filter).await;
            }),
        ];
        for case in cases {
            if drop_after(case, polls).await {
                finished += 1;
            }
            // The next write is taken at once.
            let next = tokio::time::timeout(
                Duration::from_secs(2),
                t.app.client_credentials(&at, &client, None, None),
            )
            .await
            .expect("a write after a dropped request did not finish within 2 s");
            assert!(
                next.is_ok(),
                "a write after a dropped request failed: {next:?}"
            );
        }
    }
    println!("{finished} of the dropped futures had finished before their drop point");
    assert_nothing_half_done(&t).await;
}

/// `/readyz` says ready while the database answers at this program's schema version, and 503
/// with a coarse reason (no details) when the schema is not this version's; `/healthz` says
/// alive either way.
#[tokio::test]
async fn readiness_follows_the_database_and_liveness_does_not() {
    let t = spawn_app().await;
    let get = |path: &str| {
        let url = t.url(path);
        async move { reqwest::get(url).await.unwrap() }
    };
    let r = get("/readyz").await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert!(body["schema"].as_i64().unwrap() >= 20261202000005);
    // As if an older program's schema: the newest migration not applied.
    t.app
        .store()
        .write(|tx| {
            Box::pin(async move {
                tx.execute("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
                    .await?;
                Ok::<_, authdesk_store::StoreError>(())
            })
        })
        .await
        .unwrap();
    let r = get("/readyz").await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert!(
        !body.to_string().contains("version 2026"),
        "no details leak: {body}"
    );
    let r = get("/healthz").await;
    assert_eq!(r.status(), 200);
}
