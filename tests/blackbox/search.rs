//! The console's search (Ctrl+K) against a real store: a person by the start of their user
//! name or e-mail, an app by a part of its name, a grant by the start of its id, the grant
//! holding a pasted refresh token — ranked, with names and states.

use authdesk_server::api::search::SearchHit;
use tests::*;

fn label(h: &SearchHit) -> String {
    match h {
        SearchHit::User {
            username, grants, ..
        } => format!("user {username} ({grants})"),
        SearchHit::App { name, grants, .. } => format!("app {name} ({grants})"),
        SearchHit::Grant {
            grant, by_token, ..
        } => format!(
            "grant of {} for {}{}",
            grant.username.as_deref().unwrap_or("?"),
            grant.client_name.as_deref().unwrap_or("?"),
            if *by_token { " (token)" } else { "" }
        ),
    }
}

#[tokio::test]
async fn finds_people_apps_grants_and_pasted_tokens() {
    let t = spawn_app().await;
    let app = t.confidential().await;
    t.user("ada").await;
    t.user("adam").await;
    t.user("bob").await;
    let tokens = t.code_flow(&app, "ada", "openid offline_access").await;
    let search = |term: &str| {
        let app = t.app.clone();
        let term = term.to_string();
        async move { app.search(&term, 10).await.unwrap() }
    };

    // The start of a user name or name, any case; the exact one first, with their live grants
    // (every test user is named "Ada Lovelace", so bob is found by his name).
    let hits: Vec<String> = search("ADA").await.iter().map(label).collect();
    assert_eq!(hits, ["user ada (1)", "user adam (0)", "user bob (0)"]);
    let hits: Vec<String> = search("adam").await.iter().map(label).collect();
    assert_eq!(hits, ["user adam (0)"]);
    // The start of an e-mail.
    let hits: Vec<String> = search("bob@exa").await.iter().map(label).collect();
    assert_eq!(hits, ["user bob (0)"]);
    // A part of an app's name.
    let hits: Vec<String> = search("pal").await.iter().map(label).collect();
    assert_eq!(hits, ["app Budget <b>Pal</b> (1)"]);
    // The start of a grant's id.
    let grant_id = t
        .app
        .grant_find_by_token(tokens["refresh_token"].as_str().unwrap())
        .await
        .unwrap()
        .grant
        .grant_id;
    let hits: Vec<String> = search(&grant_id[..8]).await.iter().map(label).collect();
    assert!(
        hits.contains(&"grant of ada for Budget <b>Pal</b>".to_string()),
        "{hits:?}"
    );
    // A pasted refresh token, or access token: the grant holding it, first.
    for kind in ["refresh_token", "access_token"] {
        let hits = search(tokens[kind].as_str().unwrap()).await;
        assert_eq!(
            label(&hits[0]),
            "grant of ada for Budget <b>Pal</b> (token)",
            "{kind}"
        );
    }
    // Nothing, and nothing for an empty box.
    assert!(search("zzz-nobody").await.is_empty());
    assert!(search("   ").await.is_empty());
}

/// With thousands of seeded people (`authdesk seed`), a person is still found by the start of
/// their user name or e-mail, their grants carry why lines of every kind, and the overview
/// counts them; a production directory refuses to be seeded.
#[tokio::test]
async fn thousands_of_seeded_people_are_found_and_explained() {
    let t = spawn_app().await;
    let report = t.app.sandbox_seed(3000, &actor()).await.unwrap();
    assert_eq!((report.people, report.apps), (3000, 3));
    assert_eq!(
        report.grants,
        3000 + 600,
        "a second grant for every fifth person"
    );
    let hits = t.app.search("customer01234", 10).await.unwrap();
    let SearchHit::User { sub, grants, .. } = &hits[0] else {
        panic!("{}", label(&hits[0]))
    };
    assert_eq!(label(&hits[0]), format!("user customer01234 ({grants})"));
    let hits = t.app.search("customer02999@bank", 10).await.unwrap();
    assert_eq!(hits.len(), 1);
    let listed = t
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
    assert_eq!(listed.len(), 1);
    // Across everyone: live grants, ended chains, expired tokens and revocations all occur.
    let mut all = Vec::new();
    for offset in (0..3600).step_by(1000) {
        let page = authdesk_server::api::Page {
            limit: 1000,
            offset,
        };
        all.extend(t.app.grant_list(None, page).await.unwrap());
    }
    assert_eq!(all.len(), 3600);
    let whys: Vec<&str> = all.iter().filter_map(|g| g.why.as_deref()).collect();
    for kind in ["revoked", "one-year end", "expired unused"] {
        assert!(
            whys.iter().any(|w| w.contains(kind)),
            "no grant stopped for {kind:?}"
        );
    }
    assert!(
        all.iter().any(|g| g.why.is_none()),
        "some grants still work"
    );
    assert_eq!(t.app.overview().await.unwrap().users, 3000);
}

/// The Sandbox's list of people: a page at a time by user name; with a term, only those the
/// search would find (start of user name or e-mail, any case, or the exact `sub`).
#[tokio::test]
async fn the_people_list_pages_and_filters_like_the_search() {
    let t = spawn_app().await;
    let mut subs = Vec::new();
    for i in 0..30 {
        subs.push(t.user(&format!("p{i:02}")).await);
    }
    t.user("zoe").await;
    let names = |list: Vec<authdesk_server::api::users::UserView>| {
        list.into_iter().map(|u| u.username).collect::<Vec<_>>()
    };
    let page = |limit, offset| authdesk_server::api::Page { limit, offset };
    let second: Vec<String> = (10..20).map(|i| format!("p{i:02}")).collect();
    assert_eq!(
        names(t.app.user_list(None, page(10, 10)).await.unwrap()),
        second
    );
    // By the start of the user name, any case, paged too.
    let p1: Vec<String> = (10..20).map(|i| format!("p{i:02}")).collect();
    assert_eq!(
        names(t.app.user_list(Some("P1"), page(25, 0)).await.unwrap()),
        p1
    );
    assert_eq!(
        names(t.app.user_list(Some("p1"), page(5, 5)).await.unwrap()),
        p1[5..]
    );
    // By the start of the e-mail, and by the exact sub.
    assert_eq!(
        names(t.app.user_list(Some("zoe@ex"), page(25, 0)).await.unwrap()),
        ["zoe"]
    );
    assert_eq!(
        names(t.app.user_list(Some(&subs[3]), page(25, 0)).await.unwrap()),
        ["p03"]
    );
    // A blank term lists everyone; one that matches no one, no one.
    assert_eq!(
        t.app
            .user_list(Some("  "), page(100, 0))
            .await
            .unwrap()
            .len(),
        31
    );
    assert!(
        t.app
            .user_list(Some("nobody"), page(25, 0))
            .await
            .unwrap()
            .is_empty()
    );
}
