//! The console's search and list queries on PostgreSQL at a bank's scale: 100,000 people,
//! 100,000 grants and 100,000 audit events, analysed as autovacuum would, and every query
//! planned on an index — no sequential scan of the people, the grants or the audit (the same
//! queries `scale.rs` holds to their indexes on SQLite). Prints each plan and how long the
//! query took: figures to watch, not timed assertions.

mod common;

use authdesk_core::clock::SystemClock;
use authdesk_store::audit::{self, AuditFilter};
use authdesk_store::grants::{self, GrantSelector};
use authdesk_store::{Limits, Store, StoreError, search};
use std::sync::Arc;
use std::time::Instant;

async fn seeded() -> Store {
    let url = common::pg::fresh_database().await;
    let store = Store::open_postgres(&url, Limits::default(), Arc::new(SystemClock))
        .await
        .unwrap();
    store
        .write(|tx| {
            Box::pin(async move {
                for c in 0..10 {
                    common::insert_app(tx, &format!("app-{c}")).await?;
                }
                for sql in [
                    "INSERT INTO users (sub, username, password_hash, claims, created_at, updated_at)
                     SELECT 'sub-' || i, 'customer' || lpad(i::text, 6, '0'), 'x',
                            jsonb_build_object('email', 'c' || i || '@bank.example', 'name', 'Customer ' || i), 0, 0
                     FROM generate_series(0, 99999) AS i",
                    "INSERT INTO grants (id, client_id, sub, scope, auth_time, created_at, chain_started_at, chain_ends_at)
                     SELECT 'grant-' || lpad(i::text, 6, '0'), 'app-' || (i % 10), 'user-' || (i % 1000),
                            'openid offline_access', i, 1700000000 + i, 1700000000 + i, 1700000000 + i + 31536000
                     FROM generate_series(0, 99999) AS i",
                    "INSERT INTO audit (at, actor, action, target, detail)
                     SELECT i, 'app:app-' || (i % 10),
                            CASE WHEN i % 100 = 0 THEN 'grant.revoke' ELSE 'token.refresh' END,
                            'grant-' || lpad(i::text, 6, '0'), '{}'
                     FROM generate_series(0, 99999) AS i",
                ] {
                    tx.execute(sql).await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await
        .unwrap();
    // What autovacuum's analyse does soon after a bulk load: plans with statistics.
    let mut conn = store.read().await.unwrap();
    conn.execute("ANALYZE").await.unwrap();
    drop(conn);
    store
}

/// No sequential scan of the tables that grow with customers (the ten apps may be read whole:
/// the planner rightly prefers that for a table of one page).
fn no_sequential_scan(what: &str, plan: &str) {
    for table in ["users", "grants", "audit", "refresh_tokens"] {
        assert!(
            !plan.contains(&format!("Seq Scan on {table}")),
            "{what}: a sequential scan of {table}:\n{plan}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_people_grants_and_events_are_read_on_indexes() {
    let store = seeded().await;
    let mut conn = store.read().await.unwrap();

    // The JSON the search looks inside is jsonb, not text parsed per row.
    let sql = "SELECT table_name::text, data_type::text FROM information_schema.columns \
               WHERE (table_name, column_name) IN (('users', 'claims'), ('clients', 'settings')) \
               ORDER BY table_name";
    let types: Vec<(String, String)> = authdesk_store::on!(&mut *conn, sql, |db, q| {
        sqlx::query_as(q).fetch_all(&mut *db).await
    })
    .unwrap();
    assert_eq!(
        types,
        [
            ("clients".to_string(), "jsonb".to_string()),
            ("users".to_string(), "jsonb".to_string())
        ]
    );

    // The console's search: a person by the start of their user name, e-mail or name, or sub.
    let plan = search::explain_users(&mut conn).await.unwrap();
    no_sequential_scan("search people", &plan);
    for index in [
        "users_username_lower",
        "users_email_lower",
        "users_name_lower",
    ] {
        assert!(
            plan.contains(index),
            "search people: not on {index}:\n{plan}"
        );
    }
    for (term, expected) in [
        ("CUSTOMER042424", "customer042424"),
        ("c42424@", "customer042424"),
        ("sub-42424", "customer042424"),
    ] {
        let start = Instant::now();
        let hits = search::users(&mut conn, term, 10).await.unwrap();
        println!(
            "search people {term:?}: {} hits in {:?}",
            hits.len(),
            start.elapsed()
        );
        let names: Vec<&str> = hits.iter().map(|h| h.username.as_str()).collect();
        assert_eq!(names, [expected], "{term}");
    }

    // The grants' list: all, an app's, a person's; a deep page, newest first.
    for (name, filter, index, offset) in [
        ("all", None, "grants_created", 50_000),
        (
            "by app",
            Some(GrantSelector::App("app-7".into())),
            "grants_client",
            5_000,
        ),
        (
            "by user",
            Some(GrantSelector::User {
                sub: "user-42".into(),
                client_id: None,
            }),
            "grants_sub",
            50,
        ),
    ] {
        let plan = grants::explain_list(&mut conn, filter.as_ref(), &Default::default())
            .await
            .unwrap();
        no_sequential_scan(&format!("grants {name}"), &plan);
        assert!(
            plan.contains(index),
            "grants {name}: not on {index}:\n{plan}"
        );
        let start = Instant::now();
        let page = grants::list(&mut conn, filter.as_ref(), &Default::default(), 50, offset)
            .await
            .unwrap();
        println!(
            "grants {name}: {} rows in {:?}",
            page.len(),
            start.elapsed()
        );
        assert_eq!(page.len(), 50, "{name}");
        assert!(
            page.windows(2)
                .all(|w| w[0].grant.created_at >= w[1].grant.created_at),
            "{name}: newest first"
        );
    }

    // The audit: by action, target, an actor's part, and free text (a window of the ids).
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
            "audit_pkey",
        ),
    ] {
        let plan = audit::explain_page(&mut conn, &filter).await.unwrap();
        no_sequential_scan(&format!("audit {name}"), &plan);
        assert!(
            plan.contains(index),
            "audit {name}: not on {index}:\n{plan}"
        );
        let start = Instant::now();
        let page = audit::page(&mut conn, &filter, Default::default(), 50)
            .await
            .unwrap();
        println!(
            "audit {name}: {} rows of {} in {:?}",
            page.rows.len(),
            page.matched,
            start.elapsed()
        );
        assert!(
            !page.rows.is_empty() || filter.text.is_some(),
            "audit {name}"
        );
    }
}
