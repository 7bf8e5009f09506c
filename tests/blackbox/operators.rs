//! Operators and roles (issue 23): admins manage operators, the use cases refuse what a role
//! does not allow (whatever the console shows), a production desk signs in, locks when idle,
//! and every event names the operator.

use authdesk_core::client::ClientDraft;
use authdesk_core::clock::FixedClock;
use authdesk_core::roles::Role;
use authdesk_server::api::audit::{AuditAction, ExportFormat};
use authdesk_server::api::desk::{ConsoleSettings, DeskSession};
use authdesk_server::api::{Actor, ApiError};
use authdesk_store::grants::GrantSelector;
use chrono::TimeZone;
use std::sync::Arc;
use tests::*;

const PW: &str = "a long operator password";

fn forbidden<T: std::fmt::Debug>(r: Result<T, ApiError>) -> String {
    match r {
        Err(ApiError::Forbidden(m)) => m,
        other => panic!("expected a refusal for the role, got {other:?}"),
    }
}

async fn as_operator(t: &TestApp, name: &str, role: Role) -> Actor {
    t.app
        .operator_add(name, "", role, PW, &actor())
        .await
        .unwrap();
    let row = t.app.operator_get(name).await.unwrap().unwrap();
    Actor::operator(&row, None)
}

fn someones_grants() -> GrantSelector {
    GrantSelector::User {
        sub: "someone".into(),
        client_id: None,
    }
}

#[tokio::test]
async fn the_use_cases_refuse_what_a_role_does_not_allow() {
    let t = spawn_production_app().await;
    let admin = as_operator(&t, "alice", Role::Admin).await;
    let support = as_operator(&t, "sam", Role::Support).await;
    let auditor = as_operator(&t, "audrey", Role::Auditor).await;
    let draft = ClientDraft {
        name: "Budget App".into(),
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    };

    // An auditor reads and exports, and cannot revoke, whatever a console shows.
    let m = forbidden(t.app.grant_revoke(&someones_grants(), &auditor, "x").await);
    assert!(
        m.starts_with("audrey (auditor) at ")
            && m.ends_with("may not revoke grants or sign people out"),
        "{m}"
    );
    forbidden(t.app.user_sign_out("someone", &auditor).await);
    forbidden(t.app.client_create(&draft, &auditor).await);
    let mut out = Vec::new();
    t.app
        .audit_export(&Default::default(), ExportFormat::Json, &mut out, &auditor)
        .await
        .unwrap();

    // Support finds and revokes; apps, keys, settings, people and exports are not theirs.
    t.app
        .grant_revoke(&someones_grants(), &support, "lost device")
        .await
        .unwrap();
    forbidden(t.app.client_create(&draft, &support).await);
    forbidden(
        t.app
            .key_rotate(authdesk_server::signing::Alg::ES256, false, &support)
            .await,
    );
    forbidden(
        t.app
            .user_create("ada", PASSWORD, Default::default(), &support)
            .await,
    );
    forbidden(
        t.app
            .set_console_settings(
                &ConsoleSettings {
                    idle_lock_minutes: 5,
                },
                &support,
            )
            .await,
    );
    forbidden(
        t.app
            .audit_export(
                &Default::default(),
                ExportFormat::Csv,
                &mut Vec::new(),
                &support,
            )
            .await,
    );
    forbidden(
        t.app
            .operator_add("eve", "", Role::Admin, PW, &support)
            .await,
    );

    // An admin does everything; in production what cuts something off needs a reason.
    let app = t.app.client_create(&draft, &admin).await.unwrap();
    let id = app.client.client_id;
    for refused in [
        t.app
            .client_set_enabled(&id, false, &admin)
            .await
            .map(|_| ()),
        t.app
            .client_rotate_secret(&id, None, &admin)
            .await
            .map(|_| ()),
        t.app.client_delete(&id, &admin).await,
        t.app
            .grant_revoke(&someones_grants(), &admin, " ")
            .await
            .map(|_| ()),
        t.app.user_sign_out("someone", &admin).await.map(|_| ()),
    ] {
        match refused {
            Err(ApiError::Invalid { fields }) => {
                assert_eq!(fields[0].field, "reason");
                assert!(fields[0].message.contains("required"), "{fields:?}");
            }
            other => panic!("a reason is required: {other:?}"),
        }
    }
    let because = admin.clone().because(Some("partner offboarding"));
    t.app
        .client_set_enabled(&id, false, &because)
        .await
        .unwrap();

    // The audit names who acted, with their role and desk.
    let rows = t
        .app
        .audit_list(&by_action(AuditAction::GrantRevoke), Default::default(), 10)
        .await
        .unwrap()
        .rows;
    assert!(
        rows[0].actor.starts_with("sam (support) at "),
        "{}",
        rows[0].actor
    );
    let rows = t
        .app
        .audit_list(
            &by_action(AuditAction::ClientCreate),
            Default::default(),
            10,
        )
        .await
        .unwrap()
        .rows;
    assert!(
        rows[0].actor.starts_with("alice (admin) at "),
        "{}",
        rows[0].actor
    );
}

#[tokio::test]
async fn admins_manage_operators_and_one_admin_always_stays() {
    let t = spawn_production_app().await;
    let alice = as_operator(&t, "alice", Role::Admin).await;
    // Names read as people's do; passwords are long.
    match t
        .app
        .operator_add("ALICE", "", Role::Support, PW, &alice)
        .await
    {
        Err(ApiError::Invalid { fields }) => {
            assert!(fields[0].message.contains("taken"), "{fields:?}");
        }
        other => panic!("{other:?}"),
    }
    match t
        .app
        .operator_add("bob", "", Role::Support, "short", &alice)
        .await
    {
        Err(ApiError::Invalid { fields }) => assert_eq!(fields[0].field, "password"),
        other => panic!("{other:?}"),
    }
    // The only enabled admin can be neither demoted nor disabled.
    for r in [
        t.app
            .operator_set_role("alice", Role::Support, &alice)
            .await,
        t.app.operator_set_disabled("alice", true, &alice).await,
    ] {
        match r {
            Err(ApiError::Refused(m)) => assert!(m.contains("only enabled admin"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    // With a second admin, the first may step down.
    t.app
        .operator_add("Bea", "Bea Quinn", Role::Admin, PW, &alice)
        .await
        .unwrap();
    let v = t
        .app
        .operator_set_role("alice", Role::Auditor, &alice)
        .await
        .unwrap();
    assert_eq!(v.role, Role::Auditor);
    let all = t.app.operator_list().await.unwrap();
    let names: Vec<(&str, &str, Role)> = all
        .iter()
        .map(|o| (o.username.as_str(), o.display_name.as_str(), o.role))
        .collect();
    assert_eq!(
        names,
        [
            ("alice", "alice", Role::Auditor),
            ("Bea", "Bea Quinn", Role::Admin)
        ]
    );
    let updates = t
        .app
        .audit_list(
            &by_action(AuditAction::OperatorUpdate),
            Default::default(),
            10,
        )
        .await
        .unwrap()
        .rows;
    assert_eq!(updates.len(), 1);
    assert!(
        updates[0].detail.contains("auditor"),
        "{}",
        updates[0].detail
    );
}

#[tokio::test]
async fn a_production_desk_signs_in_locks_when_idle_and_when_the_operator_is_disabled() {
    let clock = Arc::new(FixedClock::at(
        chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    ));
    let t = spawn_production_app_on(clock.clone()).await;
    let desk = DeskSession::default();
    // Nobody signed in: nothing may be done, and the page says how to add the first admin.
    let view = t.app.desk_view(&desk).await.unwrap();
    assert!(view.sign_in_required && !view.has_operators && view.powers.is_empty());
    assert!(matches!(
        t.app.desk_actor(&desk).await,
        Err(ApiError::SignInRequired(_))
    ));
    let admin = as_operator(&t, "alice", Role::Admin).await;
    t.app
        .operator_add("sam", "Sam Ortiz", Role::Support, PW, &admin)
        .await
        .unwrap();

    // A wrong password is refused and audited without the password; five lock the name.
    for i in 1..=4 {
        match t
            .app
            .desk_sign_in(&desk, "sam", &format!("guess {i}"))
            .await
        {
            Err(ApiError::Refused(m)) => assert_eq!(m, "the user name or password is wrong"),
            other => panic!("{other:?}"),
        }
    }
    match t.app.desk_sign_in(&desk, "sam", "guess 5").await {
        Err(ApiError::Refused(m)) => assert!(m.contains("try again in 30 seconds"), "{m}"),
        other => panic!("{other:?}"),
    }
    clock.advance(chrono::Duration::seconds(30));
    let view = t.app.desk_sign_in(&desk, "Sam", PW).await.unwrap();
    assert_eq!(view.operator.as_deref(), Some("sam"));
    assert_eq!(view.role, Some(Role::Support));
    assert_eq!(view.powers, Role::Support.powers());
    let failed = t
        .app
        .audit_list(
            &by_action(AuditAction::OperatorSignInFailed),
            Default::default(),
            10,
        )
        .await
        .unwrap()
        .rows;
    assert_eq!(failed.len(), 5);
    assert!(!serde_json::to_string(&failed).unwrap().contains("guess"));

    // Acting keeps the desk open; 15 minutes without a command lock it.
    let acting = t.app.desk_actor(&desk).await.unwrap();
    assert!(
        acting.name.starts_with("sam (support) at "),
        "{}",
        acting.name
    );
    clock.advance(chrono::Duration::minutes(14));
    t.app.desk_actor(&desk).await.unwrap();
    clock.advance(chrono::Duration::minutes(16));
    match t.app.desk_actor(&desk).await {
        Err(ApiError::SignInRequired(m)) => {
            assert_eq!(m, "sign in again: the console locked after 15 minutes idle");
        }
        other => panic!("{other:?}"),
    }
    let view = t.app.desk_view(&desk).await.unwrap();
    assert!(view.sign_in_required);
    assert_eq!(
        view.locked.as_deref(),
        Some("the console locked after 15 minutes idle")
    );
    let out = t
        .app
        .audit_list(
            &by_action(AuditAction::OperatorSignOut),
            Default::default(),
            10,
        )
        .await
        .unwrap()
        .rows;
    assert!(
        out[0].detail.contains("15 minutes idle"),
        "{}",
        out[0].detail
    );

    // The lock is a setting; a disabled operator's desk locks at their next command.
    t.app
        .set_console_settings(
            &ConsoleSettings {
                idle_lock_minutes: 5,
            },
            &admin,
        )
        .await
        .unwrap();
    t.app.desk_sign_in(&desk, "sam", PW).await.unwrap();
    clock.advance(chrono::Duration::minutes(6));
    assert!(t.app.desk_actor(&desk).await.is_err());
    t.app.desk_sign_in(&desk, "sam", PW).await.unwrap();
    t.app
        .operator_set_disabled("sam", true, &admin)
        .await
        .unwrap();
    match t.app.desk_actor(&desk).await {
        Err(ApiError::SignInRequired(m)) => assert!(m.contains("sam was disabled"), "{m}"),
        other => panic!("{other:?}"),
    }
    match t.app.desk_sign_in(&desk, "sam", PW).await {
        Err(ApiError::Refused(m)) => assert!(m.contains("disabled"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_sandbox_desk_needs_no_sign_in_and_names_the_os_user_and_host() {
    let t = spawn_app().await;
    let desk = DeskSession::default();
    let view = t.app.desk_view(&desk).await.unwrap();
    assert!(!view.sign_in_required);
    assert_eq!(view.powers.len(), authdesk_core::roles::Power::ALL.len());
    let a = t.app.desk_actor(&desk).await.unwrap();
    assert!(a.role.is_none());
    assert!(
        a.name.starts_with("console:") && a.name.ends_with(&format!("@{}", view.desk)),
        "{}",
        a.name
    );
}
