//! The PostgreSQL write path, with two stores on one database standing for two `authdesk
//! serve` nodes: the races SQLite's single writer decides by order are decided by the database
//! (one refresh of a token wins, the rest see its use; one exchange of a code); the audit's hash
//! chain stays whole when both write at once, sealed off the request path by one node at a
//! time (a lease that passes on when its holder dies or closes); a dropped request leaves nothing half-written and
//! no connection inside a transaction; a full queue is an answer.

mod common;

use authdesk_core::clock::{Clock, FixedClock, SystemClock};
use authdesk_store::facts::{Key, Writes};
use authdesk_store::grants::{self, GrantRow};
use authdesk_store::refresh_tokens::{self, RefreshTokenRow};
use authdesk_store::sealer::LEASE_MS;
use authdesk_store::{Conn, Limits, Script, Store, StoreError, audit, codes, leases, settings};
use std::sync::Arc;
use std::time::Duration;

async fn node(url: &str, limits: Limits) -> Store {
    Store::open_postgres(url, limits, Arc::new(SystemClock))
        .await
        .expect("open the PostgreSQL store")
}

/// Two nodes on one fresh database.
async fn two_nodes() -> (Store, Store, String) {
    let url = common::pg::fresh_database().await;
    let a = node(&url, Limits::default()).await;
    let b = node(&url, Limits::default()).await;
    (a, b, url)
}

fn token(id: &str, grant: &str, parent: Option<&str>) -> RefreshTokenRow {
    RefreshTokenRow {
        id: id.into(),
        grant_id: grant.into(),
        parent_id: parent.map(String::from),
        token_hash: format!("hash-{id}").into_bytes(),
        issued_at: 0,
        expires_at: 1_000_000,
        consumed_at: None,
        last_used_at: None,
        use_count: 0,
    }
}

async fn seed_grant(store: &Store) {
    store
        .write(|tx| {
            Box::pin(async move {
                common::insert_app(tx, "app").await?;
                let mut s = Script::new();
                grants::insert_into(
                    &mut s,
                    &GrantRow {
                        id: "g".into(),
                        client_id: "app".into(),
                        sub: "sub".into(),
                        scope: "offline_access".into(),
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
                refresh_tokens::insert_into(&mut s, &token("root", "g", None));
                s.run(tx).await?;
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap();
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Rotated,
    Reuse,
    Refused,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_refreshes_of_one_token_on_two_nodes_rotate_it_once() {
    let (a, b, _) = two_nodes().await;
    seed_grant(&a).await;
    let start = Arc::new(tokio::sync::Barrier::new(16));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store
                .decide(
                    vec![Key::RefreshToken(b"hash-root".to_vec())],
                    move |facts| {
                        // The refresh rule in short: a revoked grant refuses; a used token is
                        // reuse (revoke the grant); else rotate.
                        let facts = facts.refresh_token(b"hash-root").expect("the token exists");
                        let mut w = Writes::none();
                        if facts.grant.revoked_at.is_some() {
                            Ok((w, Outcome::Refused))
                        } else if facts.token.consumed_at.is_none() {
                            refresh_tokens::record_use_into(&mut w, &facts.token, 1, true);
                            refresh_tokens::insert_into(
                                &mut w,
                                &token(&format!("child-{i}"), "g", Some("root")),
                            );
                            Ok::<_, StoreError>((w, Outcome::Rotated))
                        } else {
                            grants::revoke_into(&mut w, "g", 2, "reuse", "replayed");
                            Ok((w, Outcome::Reuse))
                        }
                    },
                )
                .await
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    // Each decision saw the facts as the one before left them: one rotation, one reuse that
    // revokes the grant, and refusals; no decision on stale facts (its writes would change
    // nothing and fail).
    let count = |o: Outcome| {
        outcomes
            .iter()
            .filter(|r| r.as_ref().ok() == Some(&o))
            .count()
    };
    assert_eq!(count(Outcome::Rotated), 1, "{outcomes:?}");
    assert_eq!(count(Outcome::Reuse), 1, "{outcomes:?}");
    assert_eq!(count(Outcome::Refused), 14, "{outcomes:?}");
    let mut c = a.read().await.unwrap();
    let tree = refresh_tokens::of_grant(&mut c, "g").await.unwrap();
    assert_eq!(tree.len(), 2, "one child: {tree:?}");
    assert!(
        grants::get(&mut c, "g")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_exchanged_once_across_nodes() {
    let (a, b, _) = two_nodes().await;
    a.write(|tx| {
        Box::pin(async move {
            common::insert_app(tx, "app").await?;
            codes::insert(
                tx,
                &codes::CodeRow {
                    code_hash: vec![1; 32],
                    client_id: "app".into(),
                    sub: "sub".into(),
                    redirect_uri: "https://a.example/cb".into(),
                    scope: "openid".into(),
                    code_challenge: None,
                    nonce: None,
                    auth_time: 0,
                    issued_at: 0,
                    expires_at: 60,
                    used_at: None,
                    grant_id: None,
                    issuer: None,
                    claims: None,
                    dpop_jkt: None,
                },
            )
            .await
        })
    })
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store
                .write(|tx| Box::pin(async move { codes::mark_used(tx, &[1; 32], 1, None).await }))
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_chain_stays_whole_when_two_nodes_write_at_once() {
    let (a, b, _) = two_nodes().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store
                .write(move |tx| {
                    Box::pin(async move {
                        for k in 0..3 {
                            audit::record(
                                tx,
                                i,
                                "test",
                                "token.issue",
                                &format!("t{i}-{k}"),
                                &serde_json::json!({}),
                            )
                            .await?;
                        }
                        Ok::<_, StoreError>(())
                    })
                })
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Committed unsealed; the node holding the sealer's lease chains them on its own.
    let check = until_sealed(&b, 120).await;
    assert_eq!(check.first_bad, None);
}

/// Polls (every 20 ms, for at most 10 s) until `events` are sealed and none awaits; the check.
async fn until_sealed(store: &Store, events: i64) -> audit::ChainCheck {
    let mut last = None;
    for _ in 0..500 {
        let mut c = store.read().await.unwrap();
        let check = audit::verify(&mut c).await.unwrap();
        drop(c);
        if check.unsealed == 0 && check.events == events {
            return check;
        }
        last = Some(check);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{events} events not sealed within 10 s: {last:?}");
}

/// A unit that writes an audit event, committed through `store`.
async fn audited(store: &Store, target: &str) -> Result<(), StoreError> {
    let target = target.to_string();
    store
        .write(move |tx| {
            Box::pin(async move {
                audit::record(
                    tx,
                    0,
                    "test",
                    "token.issue",
                    &target,
                    &serde_json::json!({}),
                )
                .await
            })
        })
        .await
}

async fn sealer_holder(store: &Store) -> Option<(String, i64)> {
    let mut c = store.read().await.unwrap();
    leases::holder(&mut c, "audit_sealer").await.unwrap()
}

/// Units that audit do not wait for the chain: with its lock held elsewhere (as a slow seal
/// would), a unit still commits at once; its event is sealed once the lock is free. Before the
/// sealer, every unit sealed its own events under this lock through its commit, so all of them
/// queued on it across nodes (and this one waited out `lock_timeout`: busy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_commits_while_the_audit_chain_is_locked_and_is_sealed_after() {
    use sqlx::Connection;
    let (a, _b, url) = two_nodes().await;
    let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query(&format!(
        "SELECT pg_advisory_xact_lock({})",
        audit::CHAIN_LOCK
    ))
    .execute(&mut holder)
    .await
    .unwrap();
    let started = std::time::Instant::now();
    audited(&a, "while-locked").await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the unit waited {:?} for the chain",
        started.elapsed()
    );
    let mut c = a.read().await.unwrap();
    assert_eq!(audit::verify(&mut c).await.unwrap().unsealed, 1);
    drop(c);
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
    let check = until_sealed(&a, 1).await;
    assert_eq!(check.first_bad, None);
}

/// One node seals at a time, by lease. A node that dies keeps it until it lapses (the events
/// others commit meanwhile wait); then another node takes it over and seals them. A node that
/// closes in order seals what is left and gives the lease up at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sealer_lease_passes_to_another_node_when_its_holder_dies_or_closes() {
    let url = common::pg::fresh_database().await;
    let clock = Arc::new(FixedClock::at(
        chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
    ));
    let open = || Store::open_postgres(&url, Limits::default(), clock.clone() as Arc<dyn Clock>);
    let first = open().await.unwrap();
    let mut dead = None;
    for _ in 0..250 {
        dead = sealer_holder(&first).await;
        if dead.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (dead, _) = dead.expect("the first node takes the sealer's lease");
    let second = open().await.unwrap();
    // The first node dies: it stops without giving the lease up.
    drop(first);
    for i in 0..3 {
        audited(&second, &format!("after-{i}")).await.unwrap();
    }
    // Its lease has not lapsed (the clock stands still): nobody seals. The second node looks
    // for the lease every second; give it two looks.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let mut c = second.read().await.unwrap();
    assert_eq!(audit::verify(&mut c).await.unwrap().unsealed, 3);
    drop(c);
    assert_eq!(sealer_holder(&second).await.unwrap().0, dead);

    // The lease lapses: the second node takes it at its next look and seals.
    clock.advance(chrono::Duration::milliseconds(LEASE_MS + 1));
    until_sealed(&second, 3).await;
    let (now_holding, _) = sealer_holder(&second).await.unwrap();
    assert_ne!(now_holding, dead);

    // A third node; the second closes in order, after writing one more event: it seals it,
    // and the third takes the lease over within its next look, with no clock moved.
    let third = open().await.unwrap();
    audited(&second, "last-words").await.unwrap();
    second.close().await;
    let mut c = third.read().await.unwrap();
    assert_eq!(audit::verify(&mut c).await.unwrap().unsealed, 0);
    drop(c);
    audited(&third, "from-the-third").await.unwrap();
    let check = until_sealed(&third, 5).await;
    assert_eq!(check.first_bad, None);
    let (holding, _) = sealer_holder(&third).await.unwrap();
    assert_ne!(holding, now_holding);
    third.close().await;
}

/// Each unit writes two settings; dropped requests must leave both or neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_request_leaves_nothing_half_written_nor_a_connection_in_a_transaction() {
    let (a, _b, url) = two_nodes().await;
    let mut dropped = 0;
    for i in 0..200 {
        let work = a.write(move |tx| {
            Box::pin(async move {
                settings::set(tx, &format!("first-{i}"), "x").await?;
                tokio::time::sleep(Duration::from_micros(200)).await;
                settings::set(tx, &format!("second-{i}"), "x").await?;
                Ok::<_, StoreError>(())
            })
        });
        if tokio::time::timeout(Duration::from_micros(100 * (i % 7)), work)
            .await
            .is_err()
        {
            dropped += 1;
        }
    }
    assert!(dropped > 0, "some requests were dropped mid-way");
    // Units that started finish in their own tasks: wait for them by closing the store.
    a.close().await;
    let check = node(&url, Limits::default()).await;
    let mut c = check.read().await.unwrap();
    let counts: (i64, i64) = authdesk_store::on!(
        &mut *c,
        "SELECT (SELECT COUNT(*) FROM settings WHERE key LIKE 'first-%'), (SELECT COUNT(*) FROM settings WHERE key LIKE 'second-%')",
        |db, sql| sqlx::query_as(sql).fetch_one(&mut *db).await
    )
    .unwrap();
    assert_eq!(counts.0, counts.1, "every unit wrote both rows or neither");
    let in_transaction: i64 = authdesk_store::on!(
        &mut *c,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        |db, sql| sqlx::query_scalar(sql).fetch_one(&mut *db).await
    )
    .unwrap();
    assert_eq!(in_transaction, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_and_a_long_row_lock_are_busy_not_a_hang() {
    let url = common::pg::fresh_database().await;
    let limits = Limits {
        queue: 2,
        wait: Duration::from_millis(300),
    };
    let store = node(&url, limits).await;
    store
        .write(|tx| Box::pin(async move { settings::set(tx, "k", "0").await }))
        .await
        .unwrap();
    // Another session holds the row lock for a while.
    let mut other = authdesk_store::postgres_connection(&url).await.unwrap();
    other.execute("BEGIN").await.unwrap();
    other
        .execute("UPDATE settings SET value = '1' WHERE key = 'k'")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let attempts: Vec<_> = (0..4)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move {
                s.write(|tx: &mut Conn| Box::pin(async move { settings::set(tx, "k", "2").await }))
                    .await
            })
        })
        .collect();
    let mut busy = 0;
    for a in attempts {
        if matches!(a.await.unwrap(), Err(StoreError::Busy(_))) {
            busy += 1;
        }
    }
    assert_eq!(busy, 4, "queue full at once, or the lock wait ran out");
    assert!(started.elapsed() < Duration::from_secs(3));
    other.execute("ROLLBACK").await.unwrap();
    store
        .write(|tx| Box::pin(async move { settings::set(tx, "k", "3").await }))
        .await
        .unwrap();
}

/// A database that sorts text by a language's rules (here ICU's English) would make the
/// console's prefix search miss people: opening it is refused with the fix, for a node as for
/// `migrate --to`.
#[tokio::test]
async fn a_database_sorting_by_a_language_is_refused_with_the_fix() {
    let url = common::pg::fresh_database_with(
        "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
    )
    .await;
    let refused = Store::open_postgres(&url, Limits::default(), Arc::new(SystemClock))
        .await
        .expect_err("refused");
    let text = refused.to_string();
    assert!(
        text.contains("sorts text by a language's rules") && text.contains("LOCALE 'C.UTF-8'"),
        "{text}"
    );
    assert!(authdesk_store::postgres_connection(&url).await.is_err());
    // The test cluster's own databases (C.UTF-8) open, as every other test shows.
    node(&common::pg::fresh_database().await, Limits::default()).await;
}
