//! The writer's promises, tested on a real SQLite database: a unit of work is committed whole
//! or not at all; one that fails (or panics) fails alone while its batch commits; a unit whose
//! requester is gone before it starts never runs, one that started finishes; overload and a
//! held write lock are answered `Busy` without running anything; a full disk is `Unavailable`
//! and writing resumes once space is back; an admin process gets its turn while a server is
//! saturated.

mod common;

use authdesk_store::{Conn, Limits, Role, Store, StoreError};
use std::time::{Duration, Instant};

async fn open(dir: &std::path::Path, limits: Limits) -> Store {
    Store::open_with(dir, Role::Serving, limits).await.unwrap()
}

/// Inserts `key` = `value` into settings (a table every store has).
async fn put(conn: &mut Conn, key: &str, value: &str) -> Result<(), StoreError> {
    authdesk_store::settings::set(conn, key, value).await
}

async fn get(store: &Store, key: &str) -> Option<String> {
    let mut c = store.read().await.unwrap();
    authdesk_store::settings::get(&mut c, key).await.unwrap()
}

/// Keeps the writer busy for `d` (a unit that waits inside it), so the next units queue up
/// and run as one batch.
fn hold_writer(store: &Store, d: Duration) -> tokio::task::JoinHandle<()> {
    let s = store.clone();

    tokio::spawn(async move {
        s.write(move |_tx| {
            Box::pin(async move {
                tokio::time::sleep(d).await;
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap();
    })
}

#[derive(Debug)]
enum Failure {
    Store(StoreError),
    Refused,
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_panicking_unit_fails_alone_and_its_batch_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Limits::default()).await;
    store
        .write(|tx| Box::pin(async move { put(tx, "counter", "0").await }))
        .await
        .unwrap();
    let blocker = hold_writer(&store, Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut units = Vec::new();
    for i in 0..12 {
        let s = store.clone();
        units.push(tokio::spawn(async move {
            s.write(move |tx| {
                Box::pin(async move {
                    // read-modify-write: a unit replayed twice would count twice
                    let n: i64 = authdesk_store::settings::get(tx, "counter")
                        .await?
                        .unwrap()
                        .parse()
                        .unwrap();
                    put(tx, "counter", &(n + 1).to_string()).await?;
                    put(tx, &format!("unit-{i}"), "written").await?;
                    match i {
                        3 | 7 => Err(Failure::Refused),
                        5 => panic!("unit 5 panics after writing"),
                        _ => Ok(i),
                    }
                })
            })
            .await
        }));
        tokio::task::yield_now().await;
    }
    blocker.await.unwrap();
    let mut ok = 0;
    for (i, u) in units.into_iter().enumerate() {
        let r = u.await.unwrap();
        let row = get(&store, &format!("unit-{i}")).await;
        match i {
            3 | 7 => {
                assert!(matches!(r, Err(Failure::Refused)), "unit {i}: {r:?}");
                assert_eq!(row, None, "unit {i} failed: its write is undone");
            }
            5 => {
                assert!(
                    matches!(r, Err(Failure::Store(StoreError::Internal(_)))),
                    "{r:?}"
                );
                assert_eq!(row, None, "the panicking unit's write is undone");
            }
            _ => {
                assert_eq!(r.unwrap(), i);
                assert_eq!(row.as_deref(), Some("written"), "unit {i} committed");
                ok += 1;
            }
        }
    }
    assert_eq!(
        get(&store, "counter").await.as_deref(),
        Some(ok.to_string().as_str()),
        "each successful unit counted once, although some ran twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_whose_requester_left_before_it_started_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Limits::default()).await;
    let blocker = hold_writer(&store, Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let s = store.clone();
    let request = tokio::spawn(async move {
        s.write(|tx| Box::pin(async move { put(tx, "abandoned", "yes").await }))
            .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    request.abort(); // the client hung up while its write waited
    blocker.await.unwrap();
    // a later write proves the writer went past the abandoned one
    store
        .write(|tx| Box::pin(async move { put(tx, "later", "yes").await }))
        .await
        .unwrap();
    assert_eq!(get(&store, "abandoned").await, None);
    assert_eq!(get(&store, "later").await.as_deref(), Some("yes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_that_started_finishes_and_commits_after_its_requester_left() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Limits::default()).await;
    let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
    let started_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(started_tx)));
    let s = store.clone();
    let request = tokio::spawn(async move {
        s.write(move |tx| {
            let started_tx = started_tx.clone();
            Box::pin(async move {
                put(tx, "first-half", "yes").await?;
                if let Some(t) = started_tx.lock().unwrap().take() {
                    let _ = t.send(());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                put(tx, "second-half", "yes").await
            })
        })
        .await
    });
    started.await.unwrap();
    request.abort(); // dropped mid-unit, at an await inside it
    let deadline = Instant::now() + Duration::from_secs(5);
    while get(&store, "second-half").await.is_none() {
        assert!(Instant::now() < deadline, "the started unit never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(get(&store, "first-half").await.as_deref(), Some("yes"));
    // and the write lock is free again
    store
        .write(|tx| Box::pin(async move { put(tx, "after", "yes").await }))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_is_busy_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(
        dir.path(),
        Limits {
            queue: 4,
            wait: Duration::from_secs(5),
        },
    )
    .await;
    let blocker = hold_writer(&store, Duration::from_millis(500));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut waiting = Vec::new();
    for i in 0..4 {
        let s = store.clone();
        waiting.push(tokio::spawn(async move {
            s.write(move |tx| Box::pin(async move { put(tx, &format!("q{i}"), "x").await }))
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    let r = store
        .write(|tx| Box::pin(async move { put(tx, "one-too-many", "x").await }))
        .await;
    assert!(matches!(r, Err(StoreError::Busy(_))), "{r:?}");
    assert!(
        t.elapsed() < Duration::from_millis(100),
        "refused at once, not after waiting ({:?})",
        t.elapsed()
    );
    blocker.await.unwrap();
    for w in waiting {
        w.await.unwrap().unwrap();
    }
    assert_eq!(get(&store, "one-too-many").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_that_cannot_start_in_time_is_busy_and_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(
        dir.path(),
        Limits {
            queue: 64,
            wait: Duration::from_millis(200),
        },
    )
    .await;
    let blocker = hold_writer(&store, Duration::from_millis(600));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    let r = store
        .write(|tx| Box::pin(async move { put(tx, "late", "x").await }))
        .await;
    assert!(matches!(r, Err(StoreError::Busy(_))), "{r:?}");
    println!("refused after {:?} (limit 200 ms)", t.elapsed());
    blocker.await.unwrap();
    assert_eq!(get(&store, "late").await, None, "a refused unit never runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_holding_the_write_lock_makes_writes_busy_not_stuck() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().unwrap();
    let store = open(
        dir.path(),
        Limits {
            queue: 64,
            wait: Duration::from_millis(300),
        },
    )
    .await;
    let mut other = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join(authdesk_store::DB_FILE))
        .connect()
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let t = Instant::now();
    let r = store
        .write(|tx| Box::pin(async move { put(tx, "blocked", "x").await }))
        .await;
    assert!(matches!(r, Err(StoreError::Busy(_))), "{r:?}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "answered within the wait limit, not after a 30 s busy timeout ({:?})",
        t.elapsed()
    );
    // reads never wait behind a writer
    assert_eq!(get(&store, "blocked").await, None);
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    store
        .write(|tx| Box::pin(async move { put(tx, "unblocked", "x").await }))
        .await
        .unwrap();
    assert_eq!(get(&store, "unblocked").await.as_deref(), Some("x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_unavailable_with_nothing_written_and_writing_resumes_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Limits::default()).await;
    let pages: u32 = {
        let mut c = store.read().await.unwrap();
        sqlx::query_scalar::<_, i64>("PRAGMA page_count")
            .fetch_one(c.as_sqlite().expect("a SQLite store"))
            .await
            .unwrap() as u32
    };
    store.set_page_limit(Some(pages));
    let big = "x".repeat(200_000);
    let v = big.clone();
    let r = store
        .write(move |tx| {
            let v = v.clone();
            Box::pin(async move {
                put(tx, "small", "first").await?;
                put(tx, "big", &v).await
            })
        })
        .await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert_eq!(get(&store, "small").await, None, "nothing half-written");
    store.set_page_limit(None);
    store
        .write(move |tx| {
            let v = big.clone();
            Box::pin(async move { put(tx, "big", &v).await })
        })
        .await
        .unwrap();
    assert_eq!(get(&store, "big").await.map(|v| v.len()), Some(200_000));
}

/// The server's units hold the write lock a few milliseconds each (a slow disk), batch after
/// batch, so SQLite's lock is almost never free; the admin's turnstile still lets it in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_write_gets_its_turn_while_a_server_is_saturated() {
    let dir = tempfile::tempdir().unwrap();
    let server = open(dir.path(), Limits::default()).await;
    let admin = Store::open_with(dir.path(), Role::Admin, Limits::default())
        .await
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for w in 0..16 {
        let (s, stop) = (server.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                s.write(move |tx| {
                    Box::pin(async move {
                        put(tx, &format!("load-{w}"), &n.to_string()).await?;
                        tokio::time::sleep(Duration::from_millis(3)).await;
                        Ok::<_, StoreError>(())
                    })
                })
                .await
                .unwrap();
                n += 1;
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut worst = Duration::ZERO;
    for i in 0..5 {
        let t = Instant::now();
        admin
            .write(move |tx| Box::pin(async move { put(tx, &format!("admin-{i}"), "x").await }))
            .await
            .unwrap();
        worst = worst.max(t.elapsed());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut served = 0;
    for l in load {
        served += l.await.unwrap();
    }
    println!("admin writes under load: worst {worst:?}; the server committed {served} meanwhile");
    assert!(served > 0);
    assert!(
        worst < Duration::from_secs(1),
        "an admin write waited {worst:?} behind a busy server"
    );
}

/// Appending units share their round trip; one that fails (a duplicate key) fails alone and
/// takes none of its group with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appending_units_are_sent_together_and_a_failing_one_fails_alone() {
    use authdesk_store::access_tokens::{self, AccessTokenRow};
    use authdesk_store::{Script, audit};
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Limits::default()).await;
    let blocker = hold_writer(&store, Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut units = Vec::new();
    for i in 0..20 {
        let jti = if i == 7 {
            "jti-3".to_string()
        } else {
            format!("jti-{i}")
        };
        let mut script = Script::new();
        audit::record_into(
            &mut script,
            0,
            "test",
            "append",
            &format!("unit-{i}"),
            &serde_json::json!({}),
        );
        access_tokens::insert_into(
            &mut script,
            &AccessTokenRow {
                jti,
                client_id: "app".into(),
                sub: "app".into(),
                grant_id: None,
                refresh_token_id: None,
                scope: "".into(),
                issued_at: 0,
                expires_at: 600,
                revoked_at: None,
                dpop_jkt: None,
            },
        );
        units.push(store.append(script));
    }
    // Polled in order, so they queue in order: unit 7 (the duplicate of unit 3) is the later
    // one wherever the batches split. (Spawned tasks could start in any order, and unit 7
    // then committed first and unit 3 failed instead.)
    let results = futures_util::future::join_all(units).await;
    blocker.await.unwrap();
    let mut conn = store.read().await.unwrap();
    for (i, r) in results.into_iter().enumerate() {
        let audited: i64 = authdesk_store::on!(
            &mut *conn,
            "SELECT COUNT(*) FROM audit WHERE target = ?",
            |db, sql| sqlx::query_scalar(sql)
                .bind(format!("unit-{i}"))
                .fetch_one(&mut *db)
                .await
        )
        .unwrap();
        if i == 7 {
            assert!(r.is_err(), "the duplicate fails");
            assert_eq!(audited, 0, "and none of its writes stays");
        } else {
            r.unwrap();
            assert_eq!(audited, 1, "unit {i} committed");
        }
    }
}

/// A grant of app "app" with one refresh token per hash in `hashes`.
async fn grant_with_tokens(tx: &mut Conn, id: &str, hashes: &[&str]) -> Result<(), StoreError> {
    use authdesk_store::grants::{self, GrantRow};
    use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
    let mut script = authdesk_store::Script::new();
    grants::insert_into(
        &mut script,
        &GrantRow {
            id: id.into(),
            client_id: "app".into(),
            sub: "alice".into(),
            scope: "read".into(),
            auth_time: 0,
            created_at: 0,
            chain_started_at: Some(0),
            chain_ends_at: Some(1_000_000),
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            issuer: None,
            claims: None,
            dpop_jkt: None,
        },
    );
    for h in hashes {
        refresh_tokens::insert_into(
            &mut script,
            &RefreshTokenRow {
                id: format!("token-{h}"),
                grant_id: id.into(),
                parent_id: None,
                token_hash: h.as_bytes().to_vec(),
                issued_at: 0,
                expires_at: 1_000_000,
                consumed_at: None,
                last_used_at: None,
                use_count: 0,
            },
        );
    }
    script.run(tx).await.map(|_| ())
}

/// What the test's refresh decisions do: consume the token, revoke its grant, refuse, or
/// write a use of a token that does not exist (a write that changes no row).
#[derive(Clone, Copy)]
enum Act {
    Consume,
    RevokeGrant,
    Refuse,
    TouchNothing,
}

/// A decision on the facts found for `hash`: it answers what it saw ("unknown", "revoked",
/// "consumed") or, when the token is live, does `act` and answers "done".
fn decision(
    store: &Store,
    hash: &str,
    act: Act,
) -> impl std::future::Future<Output = Result<String, Failure>> + use<> {
    use authdesk_store::facts::{Facts, Key, Writes};
    use authdesk_store::grants;
    use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
    let store = store.clone();
    let hash = hash.as_bytes().to_vec();
    async move {
        store
            .decide(
                vec![Key::RefreshToken(hash.clone())],
                move |facts: &Facts| {
                    let seen = |what: &str| Ok((Writes::none(), what.to_string()));
                    let Some(f) = facts.refresh_token(&hash) else {
                        return seen("unknown");
                    };
                    if f.grant.revoked_at.is_some() {
                        return seen("revoked");
                    }
                    if f.token.consumed_at.is_some() {
                        return seen("consumed");
                    }
                    let mut writes = Writes::none();
                    match act {
                        Act::Consume => {
                            refresh_tokens::record_use_into(&mut writes, &f.token, 5, true);
                        }
                        Act::RevokeGrant => {
                            grants::revoke_into(&mut writes, &f.grant.id, 5, "test", "why");
                        }
                        Act::Refuse => return Err(Failure::Refused),
                        Act::TouchNothing => {
                            let missing = RefreshTokenRow {
                                id: "no-such-token".into(),
                                ..f.token.clone()
                            };
                            refresh_tokens::record_use_into(&mut writes, &missing, 5, false);
                        }
                    }
                    Ok((writes, "done".to_string()))
                },
            )
            .await
    }
}

/// Refresh decisions queued together are read in one query and written in one script, yet
/// each decides on what the units before it wrote: a second use of a token sees it consumed,
/// a token of a grant an earlier unit revoked sees the grant revoked, while tokens of one grant
/// that nobody revoked are decided together. A decision that fails fails alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_decisions_in_one_batch_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Limits::default()).await;
    store
        .write(|tx| {
            Box::pin(async move {
                common::insert_app(tx, "app").await?;
                grant_with_tokens(tx, "g0", &["h0"]).await?;
                grant_with_tokens(tx, "g1", &["h1", "h1b"]).await?;
                grant_with_tokens(tx, "g2", &["h2"]).await?;
                grant_with_tokens(tx, "g3", &["h3", "h3b"]).await
            })
        })
        .await
        .unwrap();
    let blocker = hold_writer(&store, Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let units = vec![
        decision(&store, "h3", Act::Consume),
        decision(&store, "h3b", Act::Consume),
        decision(&store, "h0", Act::Consume),
        decision(&store, "h1", Act::RevokeGrant),
        decision(&store, "h1b", Act::Consume),
        decision(&store, "h0", Act::Consume),
        decision(&store, "none", Act::Consume),
        decision(&store, "h2", Act::Refuse),
        decision(&store, "h2", Act::Consume),
    ];
    // Polled in order, so they queue in order and run in one batch behind the blocker.
    let results = futures_util::future::join_all(units).await;
    blocker.await.unwrap();
    let answers: Vec<String> = results
        .into_iter()
        .map(|r| match r {
            Ok(a) => a,
            Err(Failure::Refused) => "refused".into(),
            Err(Failure::Store(e)) => panic!("store error: {e}"),
        })
        .collect();
    assert_eq!(
        answers,
        [
            "done", "done", "done", "done", "revoked", "consumed", "unknown", "refused", "done"
        ]
    );
    let mut conn = store.read().await.unwrap();
    let consumed: Vec<String> = authdesk_store::on!(
        &mut *conn,
        "SELECT token_hash FROM refresh_tokens WHERE consumed_at IS NOT NULL ORDER BY token_hash",
        |db, sql| sqlx::query_scalar(sql).fetch_all(&mut *db).await
    )
    .unwrap()
    .into_iter()
    .map(|h: Vec<u8>| String::from_utf8(h).unwrap())
    .collect();
    assert_eq!(consumed, ["h0", "h2", "h3", "h3b"]);
    let revoked: Vec<String> = authdesk_store::on!(
        &mut *conn,
        "SELECT id FROM grants WHERE revoked_at IS NOT NULL",
        |db, sql| sqlx::query_scalar(sql).fetch_all(&mut *db).await
    )
    .unwrap();
    assert_eq!(revoked, ["g1"]);
}

/// A decision whose writes do not change the rows they name (a race it should have ruled out)
/// fails alone; the units decided with it are committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_decision_whose_writes_miss_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), Limits::default()).await;
    store
        .write(|tx| {
            Box::pin(async move {
                common::insert_app(tx, "app").await?;
                grant_with_tokens(tx, "g0", &["h0"]).await?;
                grant_with_tokens(tx, "g1", &["h1"]).await?;
                grant_with_tokens(tx, "g2", &["h2"]).await
            })
        })
        .await
        .unwrap();
    let blocker = hold_writer(&store, Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let results = futures_util::future::join_all(vec![
        decision(&store, "h0", Act::Consume),
        decision(&store, "h1", Act::TouchNothing),
        decision(&store, "h2", Act::Consume),
    ])
    .await;
    blocker.await.unwrap();
    assert_eq!(results[0].as_deref().ok(), Some("done"));
    assert!(
        matches!(&results[1], Err(Failure::Store(StoreError::Missed(m))) if m.contains("changed 0 rows")),
        "the missing write fails its unit"
    );
    assert_eq!(results[2].as_deref().ok(), Some("done"));
    let mut conn = store.read().await.unwrap();
    let consumed: i64 = authdesk_store::on!(
        &mut *conn,
        "SELECT COUNT(*) FROM refresh_tokens WHERE consumed_at IS NOT NULL",
        |db, sql| sqlx::query_scalar(sql).fetch_one(&mut *db).await
    )
    .unwrap();
    assert_eq!(consumed, 2);
}
