//! The audit as a log viewer (issue 9 item 5): filters by actor, action, target, time and
//! text done in the store; paging past any cap; the wall-clock time beside the sandbox time;
//! export of everything matching to CSV and JSON (the CLI's `authdesk audit` filters and
//! `--export`: `crates/server/tests/cli.rs`).

use authdesk_server::api::audit::{AuditAction, AuditQuery, ExportFormat};
use authdesk_store::{Script, audit};
use chrono::Duration;
use tests::*;

/// Writes `n` events straight into the store (a real write, sealed into the hash chain): the
/// i-th by `console:alice` or `cli:bob`, on target `grant-{i % 10}`.
async fn seed(t: &TestApp, n: usize, at: i64) {
    let mut script = Script::new();
    for i in 0..n {
        let actor = if i % 2 == 0 {
            "console:alice"
        } else {
            "cli:bob"
        };
        let detail = serde_json::json!({ "reason": format!("case {i}"), "n": i });
        audit::record_into(
            &mut script,
            at + i as i64,
            actor,
            "grant.revoke",
            &format!("grant-{}", i % 10),
            &detail,
        );
    }
    t.app.store().append(script).await.unwrap();
}

fn query() -> AuditQuery {
    AuditQuery {
        action: Some(AuditAction::GrantRevoke),
        ..Default::default()
    }
}

/// A million events cannot be counted on every page: counting stops past 10,000 and the
/// page says "more" (paging itself still reaches every event); a narrower filter is exact.
#[tokio::test]
async fn counting_stops_past_ten_thousand_and_says_more() {
    let t = spawn_app().await;
    let t0 = t.app.now().timestamp();
    seed(&t, 10_050, t0).await;
    let page = t
        .app
        .audit_list(&query(), Default::default(), 50)
        .await
        .unwrap();
    assert_eq!((page.total, page.more), (10_000, true));
    assert_eq!(page.rows.len(), 50);
    let one_target = t
        .app
        .audit_list(
            &AuditQuery {
                target: Some("grant-3".into()),
                ..query()
            },
            Default::default(),
            50,
        )
        .await
        .unwrap();
    assert_eq!((one_target.total, one_target.more), (1_005, false));
}

#[tokio::test]
async fn filters_and_paging_are_done_by_the_store_with_no_cap() {
    let t = spawn_app().await;
    let t0 = t.app.now().timestamp();
    seed(&t, 1200, t0).await;

    // Every page in turn: 1,200 events in pages of 500, newest first, none twice.
    let mut seen = Vec::new();
    let mut cursor = Default::default();
    loop {
        let page = t.app.audit_list(&query(), cursor, 500).await.unwrap();
        assert_eq!(page.total, 1200);
        seen.extend(page.rows.iter().map(|r| r.id));
        match page.next {
            Some(n) => cursor = n,
            None => break,
        }
    }
    assert_eq!(seen.len(), 1200);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );

    let count = |q: AuditQuery| {
        let app = t.app.clone();
        async move {
            app.audit_list(&q, Default::default(), 1000)
                .await
                .unwrap()
                .total
        }
    };
    // A part of the actor, any case.
    assert_eq!(
        count(AuditQuery {
            actor: Some("ALICE".into()),
            ..query()
        })
        .await,
        600
    );
    // The target exactly.
    assert_eq!(
        count(AuditQuery {
            target: Some("grant-3".into()),
            ..query()
        })
        .await,
        120
    );
    assert_eq!(
        count(AuditQuery {
            target: Some("grant-".into()),
            ..query()
        })
        .await,
        0
    );
    // A time range, sandbox clock: [t0 + 100, t0 + 200).
    assert_eq!(
        count(AuditQuery {
            from: Some(t0 + 100),
            to: Some(t0 + 200),
            ..query()
        })
        .await,
        100
    );
    // Free text reaches into the detail: "case 11" is in 11, 110–119 and 1100–1199 ...
    let text = |t: &str| AuditQuery {
        text: Some(t.into()),
        ..query()
    };
    assert_eq!(count(text("case 11")).await, 111);
    // ... and with its closing quote, only in 11.
    assert_eq!(count(text("case 11\"")).await, 1);
    // Combined with the actor: the odd ones.
    assert_eq!(
        count(AuditQuery {
            actor: Some("bob".into()),
            ..text("case 11")
        })
        .await,
        56
    );
    // Another action: none of these.
    assert_eq!(
        count(AuditQuery {
            action: Some(AuditAction::ClientCreate),
            ..query()
        })
        .await,
        0
    );
    // Text that a LIKE pattern would misread is plain text here.
    assert_eq!(
        count(AuditQuery {
            text: Some("%".into()),
            ..query()
        })
        .await,
        0
    );
}

/// A text search cannot skip events, so a page reads at most `audit::SCAN_WINDOW` of them and
/// says how far back it read; the next window is one more page, the CLI's list and the export
/// go on to the oldest; an actor's part reads its index over the whole audit.
#[tokio::test]
async fn a_text_search_reads_one_window_per_page_and_goes_on_older() {
    let t = spawn_app().await;
    let t0 = t.app.now().timestamp();
    let n = audit::SCAN_WINDOW as usize + 5_000;
    seed(&t, n, t0).await;
    // "case 7\"" is in the 8th event, older than the newest window.
    let q = AuditQuery {
        text: Some("case 7\"".into()),
        ..query()
    };
    let first = t.app.audit_list(&q, Default::default(), 50).await.unwrap();
    assert_eq!((first.rows.len(), first.total), (0, 0));
    let window = first.searched.expect("a text search names its window");
    assert_eq!(window.floor, n as i64 + 1 - audit::SCAN_WINDOW);
    assert_eq!(window.back_to, Some(t0 + n as i64 - audit::SCAN_WINDOW));
    assert!(window.older);
    let next = first.next.expect("older events to search");
    assert_eq!(next.floor, None, "the next page opens a new window");
    let second = t.app.audit_list(&q, next, 50).await.unwrap();
    assert_eq!(second.rows.len(), 1);
    assert_eq!(second.rows[0].detail, r#"{"n":7,"reason":"case 7"}"#);
    assert!(!second.searched.unwrap().older);
    assert_eq!(second.next, None);

    // The CLI's list goes on window after window; so does the export.
    let newest = t.app.audit_newest(&q, 10).await.unwrap();
    assert_eq!(
        (newest.rows.len(), newest.total, newest.more),
        (1, 1, false)
    );
    let mut json = Vec::new();
    t.app
        .audit_export(&q, ExportFormat::Json, &mut json, &actor())
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);

    // Within a window, pages keep its floor so its count and its pages agree: "case 2999"
    // matches 2999 and 29990–29999 (11 events, all in the newest window).
    let q = AuditQuery {
        text: Some("case 2999".into()),
        ..query()
    };
    let first = t.app.audit_list(&q, Default::default(), 5).await.unwrap();
    assert_eq!((first.rows.len(), first.total), (5, 10));
    let next = first.next.unwrap();
    assert_eq!(next.floor, Some(first.searched.unwrap().floor));
    let rest = t.app.audit_list(&q, next, 50).await.unwrap();
    assert_eq!(rest.rows.len(), 5, "the rest of the window");
    let older = t.app.audit_list(&q, rest.next.unwrap(), 50).await.unwrap();
    assert_eq!((older.rows.len(), older.total), (1, 1), "case 2999 itself");

    // An actor's part names few actors: their index, the whole audit, no window.
    let by_actor = t
        .app
        .audit_list(
            &AuditQuery {
                actor: Some("ALICE".into()),
                ..query()
            },
            Default::default(),
            50,
        )
        .await
        .unwrap();
    assert_eq!((by_actor.total, by_actor.more), (10_000, true));
    assert!(by_actor.searched.is_none());
    assert!(by_actor.rows.iter().all(|r| r.actor == "console:alice"));
}

#[tokio::test]
async fn an_event_keeps_the_wall_clock_time_beside_the_sandbox_time() {
    let t = spawn_app().await;
    let base = t.app.now().timestamp();
    t.advance(Duration::days(100)).await;
    t.app
        .user_create("ada", PASSWORD, Default::default(), &actor())
        .await
        .unwrap();
    t.sealed().await;
    let page = t
        .app
        .audit_list(
            &AuditQuery {
                action: Some(AuditAction::UserCreate),
                ..Default::default()
            },
            Default::default(),
            10,
        )
        .await
        .unwrap();
    let e = &page.rows[0];
    assert_eq!(e.at, base + 100 * 86_400, "`at` follows the sandbox clock");
    assert_eq!(
        e.recorded_at,
        Some(base),
        "`recorded_at` is the wall clock (the tests' frozen base)"
    );
    // The hash chain covers it.
    assert_eq!(t.app.audit_verify().await.unwrap().first_bad, None);
}

#[tokio::test]
async fn everything_matching_exports_to_csv_and_json() {
    let t = spawn_app().await;
    let t0 = t.app.now().timestamp();
    seed(&t, 2500, t0).await;
    let q = AuditQuery {
        actor: Some("alice".into()),
        ..query()
    };

    let mut csv = Vec::new();
    assert_eq!(
        t.app
            .audit_export(&q, ExportFormat::Csv, &mut csv, &actor())
            .await
            .unwrap(),
        1250
    );
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "id,at_utc,recorded_at_utc,actor,action,target,detail"
    );
    assert_eq!(
        lines.len(),
        1251,
        "a header and every matching event, past a page of 1000"
    );
    assert!(
        lines[1].contains(",console:alice,grant.revoke,grant-8,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].ends_with(r#""{""n"":2498,""reason"":""case 2498""}""#),
        "{}",
        lines[1]
    );

    let mut json = Vec::new();
    t.app
        .audit_export(&q, ExportFormat::Json, &mut json, &actor())
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1250);
    assert_eq!(v[0]["detail"]["n"], 2498);
}

/// A reason given with a destructive act lands in its audit event (and nowhere else); a blank
/// one is none, a long one is cut.
#[tokio::test]
async fn the_reason_given_lands_in_the_audit() {
    let t = spawn_app().await;
    let app = t.confidential().await;
    let because = |r: &str| actor().because(Some(r));
    t.app
        .client_set_enabled(&app.id, false, &because("partner paused"))
        .await
        .unwrap();
    t.app
        .client_set_enabled(&app.id, true, &because("   "))
        .await
        .unwrap();
    t.app
        .key_rotate(
            authdesk_server::signing::Alg::ES256,
            true,
            &because(&"x".repeat(600)),
        )
        .await
        .unwrap();
    let detail = |action: AuditAction| {
        let app = t.app.clone();
        async move {
            let rows = app
                .audit_list(
                    &AuditQuery {
                        action: Some(action),
                        ..Default::default()
                    },
                    Default::default(),
                    1,
                )
                .await
                .unwrap()
                .rows;
            serde_json::from_str::<serde_json::Value>(&rows[0].detail).unwrap()
        }
    };
    assert_eq!(
        detail(AuditAction::ClientDisable).await["reason"],
        "partner paused"
    );
    assert!(
        detail(AuditAction::ClientEnable)
            .await
            .get("reason")
            .is_none()
    );
    assert_eq!(
        detail(AuditAction::KeyRotate).await["reason"]
            .as_str()
            .unwrap()
            .len(),
        500
    );
}
