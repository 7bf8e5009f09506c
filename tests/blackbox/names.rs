//! Names that cannot lie (issue 21, finding "names that read the same"): user names and app
//! names that read the same are one name, characters that do not show or that move text are
//! refused, a failed login's user name is audited as typed, and a registry that already holds
//! names alike keeps everyone when it is opened.

use authdesk_core::client::ClientDraft;
use authdesk_server::api::ApiError;
use authdesk_server::api::audit::AuditAction;
use authdesk_server::api::transfer::ExportOptions;
use serde_json::Map;
use tests::*;

fn field_error(r: Result<impl std::fmt::Debug, ApiError>, field: &str) -> String {
    match r {
        Err(ApiError::Invalid { fields }) => {
            fields
                .into_iter()
                .find(|f| f.field == field)
                .unwrap_or_else(|| panic!("no error on {field}"))
                .message
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn user_names_that_read_the_same_are_one_person() {
    let t = spawn_app().await;
    t.user("ada").await;
    for same in [
        "ADA",
        "\u{ff41}\u{ff44}\u{ff41}", // full width
        "\u{430}\u{501}\u{430}",    // Cyrillic а ԁ а
        " ada ",
    ] {
        let m = field_error(
            t.app
                .user_create(same, PASSWORD, Map::new(), &actor())
                .await,
            "username",
        );
        assert!(m.contains("taken"), "{same:?}: {m}");
    }
    // A combining accent is the composed letter.
    t.user("josé").await;
    let m = field_error(
        t.app
            .user_create("jose\u{301}", PASSWORD, Map::new(), &actor())
            .await,
        "username",
    );
    assert!(m.contains("is taken"), "{m}");
    for (odd, why) in [
        ("ad\u{200b}a", "invisible"),
        ("ada\u{202e}", "invisible"),
        ("mallory\nconsole", "control"),
        ("\u{430}da", "mixes scripts"),
    ] {
        let m = field_error(
            t.app.user_create(odd, PASSWORD, Map::new(), &actor()).await,
            "username",
        );
        assert!(m.contains(why), "{odd:?}: {m}");
    }
    // The person signs in with any spelling of their name.
    let c = t.public().await;
    let (code, _) = t.code(&c, "Ada", "openid").await;
    assert!(!code.is_empty());
}

#[tokio::test]
async fn app_names_that_read_the_same_are_one_app() {
    let t = spawn_app().await;
    let draft = |name: &str| ClientDraft {
        name: name.into(),
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    };
    let first = t
        .app
        .client_create(&draft("Budget Pal"), &actor())
        .await
        .unwrap();
    let m = field_error(
        t.app.client_create(&draft("BUDGET  PAL"), &actor()).await,
        "name",
    );
    assert!(m.contains("two spaces"), "{m}");
    let m = field_error(
        t.app.client_create(&draft("budget pal"), &actor()).await,
        "name",
    );
    assert_eq!(
        m,
        "'budget pal' reads the same as an application name already taken: 'Budget Pal'"
    );
    // An app may be renamed to another spelling of its own name, not to another app's.
    let id = first.client.client_id;
    t.app
        .client_update(&id, &draft("BUDGET PAL"), &actor())
        .await
        .unwrap();
    let other = t
        .app
        .client_create(&draft("Ledger"), &actor())
        .await
        .unwrap();
    let m = field_error(
        t.app
            .client_update(&other.client.client_id, &draft("budget pal"), &actor())
            .await,
        "name",
    );
    assert!(m.contains("already taken"), "{m}");
    let m = field_error(
        t.app
            .client_create(
                &ClientDraft {
                    partner_name: Some("Acme\u{202e}".into()),
                    ..draft("Savings")
                },
                &actor(),
            )
            .await,
        "partner_name",
    );
    assert!(m.contains("a partner name cannot hold"), "{m}");
}

#[tokio::test]
async fn a_failed_logins_user_name_is_audited_exactly_as_typed() {
    let t = spawn_app().await;
    let c = t.public().await;
    let forged =
        "mallory\n2026-12-06T00:00:00+00:00  console  client.delete\u{1b}[31mRED\u{1b}[0m\u{7}";
    let b = browser();
    let url = t.auth_url(&[
        ("client_id", c.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ]);
    let html = b.get(url).send().await.unwrap().text().await.unwrap();
    let resp = b
        .post(t.form_action(&html))
        .form(&[
            ("interaction", hidden(&html, "interaction").as_str()),
            ("csrf_token", hidden(&html, "csrf_token").as_str()),
            ("username", forged),
            ("password", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
    let rows = t
        .app
        .audit_list(
            &by_action(AuditAction::UserLoginFailed),
            Default::default(),
            10,
        )
        .await
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].target, forged,
        "stored as sent (shown quoted by the CLI)"
    );
}

#[tokio::test]
async fn a_registry_holding_names_alike_keeps_everyone_when_opened() {
    let t = spawn_app().await;
    t.user("carol").await;
    t.user("dave").await;
    // As a registry from before names were keyed: no keys, and a second "CAROL".
    t.app
        .store()
        .write(|tx| {
            Box::pin(async move {
                tx.execute("UPDATE users SET username_key = NULL").await?;
                tx.execute(
                    "INSERT INTO users (sub, username, password_hash, claims, created_at, updated_at) \
                     VALUES ('sub-carol-2', 'CAROL', 'x', '{}', 9999999999, 9999999999)",
                )
                .await?;
                Ok::<_, authdesk_store::StoreError>(())
            })
        })
        .await
        .unwrap();
    let again = t.open_again().await;
    let people = again.user_list(None, Default::default()).await.unwrap();
    let mut names: Vec<&str> = people.iter().map(|u| u.username.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["CAROL", "carol", "dave"], "nobody is lost");
    // The first keeps the name; the later one is still there, by its sub, to be renamed.
    let c = t.public().await;
    t.code(&c, "Carol", "openid").await;
    assert!(people.iter().any(|u| u.sub == "sub-carol-2"), "{people:?}");
    // A new "carol" is refused, as before the migration.
    assert!(
        again
            .user_create("Carol", PASSWORD, Map::new(), &actor())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_import_with_names_alike_is_refused_whole() {
    let from = spawn_app().await;
    from.user("ada").await;
    from.client(ClientDraft {
        name: "Budget Pal".into(),
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    })
    .await;
    let doc = from
        .app
        .export(ExportOptions::default(), &actor())
        .await
        .unwrap();

    // Into a registry that has the same names spelt otherwise.
    let to = spawn_app().await;
    to.user("ADA").await;
    to.client(ClientDraft {
        name: "budget pal".into(),
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    })
    .await;
    match to.app.import(doc.clone(), &actor()).await {
        Err(ApiError::Refused(m)) => {
            assert!(m.contains("user name ada (as ADA)"), "{m}");
            assert!(m.contains("app name Budget Pal (as budget pal)"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    // A file naming one person twice, spelt otherwise.
    let mut twice = doc;
    let mut copy = twice.users[0].clone();
    copy.sub = "another-sub".into();
    copy.username = "ADA".into();
    twice.users.push(copy);
    match spawn_app().await.app.import(twice, &actor()).await {
        Err(ApiError::Refused(m)) => assert!(m.contains("names user name"), "{m}"),
        other => panic!("{other:?}"),
    }
}
