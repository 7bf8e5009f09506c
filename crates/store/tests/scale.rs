//! Lists stay fast with 100,000 grants because paging happens in the store, on an index.
//! This seeds 100k grants, checks the query plans use indexes (no full sort), and prints how
//! long a page takes: a figure to watch, not a timed assertion.

use authdesk_store::Store;
mod common;

use authdesk_store::grants::{self, GrantRow, GrantSelector};
use std::time::Instant;

const GRANTS: i64 = 100_000;

#[tokio::test]
async fn hundred_thousand_grants_page_on_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), authdesk_store::Role::Admin)
        .await
        .unwrap();
    store
        .write(|tx| {
            Box::pin(async move {
                sqlx_seed(tx).await;
                Ok::<_, authdesk_store::StoreError>(())
            })
        })
        .await
        .unwrap();

    let mut conn = store.read().await.unwrap();
    // A deep page for each: 100k grants in all, 10k per app, 100 per user.
    for (name, filter, offset) in [
        ("all", None, 50_000),
        ("by app", Some(GrantSelector::App("app-7".into())), 5_000),
        (
            "by user",
            Some(GrantSelector::User {
                sub: "user-42".into(),
                client_id: None,
            }),
            50,
        ),
    ] {
        let plan = grants::explain_list(&mut conn, filter.as_ref(), &Default::default())
            .await
            .unwrap();
        assert!(
            !plan.contains("USE TEMP B-TREE FOR ORDER BY"),
            "{name}: the page is sorted in memory: {plan}"
        );
        assert!(plan.contains("INDEX"), "{name}: no index used: {plan}");
        let start = Instant::now();
        let page = grants::list(&mut conn, filter.as_ref(), &Default::default(), 50, offset)
            .await
            .unwrap();
        println!(
            "grants list {name}: {} rows in {:?} ({plan})",
            page.len(),
            start.elapsed()
        );
        assert_eq!(page.len(), 50, "{name}");
        // Named: the app's name from the join (the seeded users are not registered).
        assert!(
            page.iter()
                .all(|n| n.client_name.as_deref() == Some(n.grant.client_id.as_str())),
            "{name}: every grant carries its app's name"
        );
        assert!(
            page.windows(2)
                .all(|w| w[0].grant.created_at >= w[1].grant.created_at),
            "{name}: newest first"
        );
    }
}

async fn sqlx_seed(tx: &mut authdesk_store::Conn) {
    for c in 0..10 {
        common::insert_app(tx, &format!("app-{c}")).await.unwrap();
    }
    for i in 0..GRANTS {
        let g = GrantRow {
            id: format!("grant-{i:06}"),
            client_id: format!("app-{}", i % 10),
            sub: format!("user-{}", i % 1000),
            scope: "openid offline_access".into(),
            auth_time: i,
            created_at: 1_700_000_000 + i,
            chain_started_at: Some(1_700_000_000 + i),
            chain_ends_at: Some(1_700_000_000 + i + 31_536_000),
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            issuer: None,
            claims: None,
            dpop_jkt: None,
        };
        grants::insert(tx, &g).await.unwrap();
    }
}

/// The console's search finds a person among 100,000 by the start of their user name, e-mail
/// or name on indexes (no scan of the users), and prints how long it took.
#[tokio::test]
async fn hundred_thousand_users_are_found_by_prefix_on_indexes() {
    use authdesk_store::search;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), authdesk_store::Role::Admin)
        .await
        .unwrap();
    store
        .write(|tx| {
            Box::pin(async move {
                tx.execute(
                    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
                     INSERT INTO users (sub, username, password_hash, claims, created_at, updated_at)
                     SELECT 'sub-' || i, 'customer' || printf('%06d', i), 'x',
                            json_object('email', 'c' || i || '@bank.example', 'name', 'Customer ' || i), 0, 0
                     FROM n",
                )
                .await?;
                Ok::<_, authdesk_store::StoreError>(())
            })
        })
        .await
        .unwrap();
    let mut conn = store.read().await.unwrap();
    let plan = search::explain_users(&mut conn).await.unwrap();
    assert!(!plan.contains("SCAN"), "the users are scanned: {plan}");
    for (term, expected) in [
        ("CUSTOMER042424", Some("customer042424")),
        ("c42424@", Some("customer042424")),
        ("sub-42424", Some("customer042424")),
        // "Customer 4242" and "Customer 42420" … "42429": eleven, ten shown.
        ("Customer 4242", None),
    ] {
        let start = Instant::now();
        let hits = search::users(&mut conn, term, 10).await.unwrap();
        println!(
            "search users {term:?}: {} hits in {:?}",
            hits.len(),
            start.elapsed()
        );
        match expected {
            Some(username) => {
                let names: Vec<&str> = hits.iter().map(|h| h.username.as_str()).collect();
                assert_eq!(names, [username], "{term}");
            }
            None => {
                assert_eq!(hits.len(), 10, "{term}");
                assert!(
                    hits.iter()
                        .all(|h| h.name.as_deref().unwrap().starts_with(term))
                );
            }
        }
    }
    println!("plan: {plan}");
}

/// The console's audit and expiry queries at scale read indexes: a page of the audit filtered by
/// action or target comes off its index newest first (no sort of the matches), and the expiry
/// histogram scans the grants once and takes each live grant's live tokens by
/// `refresh_tokens_live`.
#[tokio::test]
async fn the_audit_by_action_or_target_and_the_histogram_read_their_indexes() {
    use authdesk_store::audit::{self, AuditFilter};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), authdesk_store::Role::Admin)
        .await
        .unwrap();
    store
        .write(|tx| {
            Box::pin(async move {
                sqlx_seed(tx).await;
                tx.execute(
                    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
                     INSERT INTO audit (at, actor, action, target, detail)
                     SELECT i, 'app:app-' || (i % 10), CASE WHEN i % 100 = 0 THEN 'grant.revoke' ELSE 'token.refresh' END,
                            'grant-' || printf('%06d', i), '{}'
                     FROM n",
                )
                .await?;
                tx.execute(
                    "INSERT INTO refresh_tokens (id, grant_id, token_hash, issued_at, expires_at, use_count)
                     SELECT id || '-rt', id, randomblob(32), created_at, created_at + 7776000, 0 FROM grants",
                )
                .await?;
                Ok::<_, authdesk_store::StoreError>(())
            })
        })
        .await
        .unwrap();
    let mut conn = store.read().await.unwrap();
    for (name, filter, index) in [
        (
            "by action",
            AuditFilter {
                action: Some("grant.revoke"),
                ..Default::default()
            },
            "audit_action",
        ),
        (
            "by target",
            AuditFilter {
                target: Some("grant-004242"),
                ..Default::default()
            },
            "audit_target",
        ),
        (
            "by an actor's part",
            AuditFilter {
                actor: Some("APP-3"),
                ..Default::default()
            },
            "audit_actor",
        ),
        (
            "by free text",
            AuditFilter {
                text: Some("grant-004242"),
                ..Default::default()
            },
            "INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
        ),
    ] {
        let plan = audit::explain_page(&mut conn, &filter).await.unwrap();
        assert!(plan.contains(index), "audit {name}: {plan}");
        assert!(
            !plan.contains("TEMP B-TREE"),
            "audit {name}: the matches are sorted: {plan}"
        );
        let start = Instant::now();
        let page = audit::page(&mut conn, &filter, Default::default(), 50)
            .await
            .unwrap();
        println!(
            "audit {name}: {} rows of {} in {:?} ({plan})",
            page.rows.len(),
            page.matched,
            start.elapsed()
        );
        assert!(
            !page.rows.is_empty() || filter.text.is_some(),
            "audit {name}"
        );
        if filter.text.is_some() {
            // The newest 25,000 events hold no grant-004242 (event 4,243 of 100,000): the
            // page says how far back it read and that older events remain.
            let window = page.window.expect("a text search names its window");
            assert_eq!(
                (page.matched, window.floor, window.older),
                (0, 100_001 - audit::SCAN_WINDOW, true)
            );
            let older = audit::page(
                &mut conn,
                &filter,
                audit::AuditCursor {
                    before: Some(window.floor - 70_000),
                    floor: None,
                },
                50,
            )
            .await
            .unwrap();
            assert_eq!(older.rows.len(), 1, "the window that holds it finds it");
        } else {
            assert!(page.window.is_none(), "audit {name} reads its index whole");
            assert!(page.matched > 0, "audit {name}");
        }
    }
    let plan = grants::explain_histogram(&mut conn).await.unwrap();
    assert!(
        plan.contains("SCAN g") && plan.contains("INDEX refresh_tokens_live (grant_id=?)"),
        "the histogram does not take each live grant's live tokens by index: {plan}"
    );
    let start = Instant::now();
    let days = grants::expiry_histogram(&mut conn, 1_700_000_000, 1_800_000_000)
        .await
        .unwrap();
    println!(
        "expiry histogram: {} days in {:?} ({plan})",
        days.len(),
        start.elapsed()
    );
    assert!(!days.is_empty());
}
